import './bootstrap';

const list = document.getElementById('orders');

window.axios.get('/orders').then(({ data }) => {
    for (const order of data) {
        const item = document.createElement('li');
        item.textContent = `${order.email}: ${(order.total_cents / 100).toFixed(2)}`;
        list.append(item);
    }
});
