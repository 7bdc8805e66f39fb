import logging

from celery import shared_task

from orders.models import Order

log = logging.getLogger(__name__)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_receipt(order_id: int) -> None:
    order = Order.objects.get(pk=order_id)
    log.info("sending receipt for order %s to %s", order.pk, order.email)
    Order.objects.filter(pk=order.pk).update(receipt_sent=True)
