<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Guestbook</title></head>
<body>
<h1>Guestbook</h1>
<form method="post" action="/entries">
    <input name="name" placeholder="Your name" required>
    <textarea name="message" maxlength="500" required></textarea>
    <button>Sign</button>
</form>
<?php foreach ($entries as $entry): ?>
    <article>
        <strong><?= htmlspecialchars($entry['name']) ?></strong>
        <p><?= nl2br(htmlspecialchars($entry['message'])) ?></p>
        <time><?= htmlspecialchars($entry['created_at']) ?></time>
    </article>
<?php endforeach; ?>
</body>
</html>
