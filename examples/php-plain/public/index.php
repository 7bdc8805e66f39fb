<?php

declare(strict_types=1);

use Guestbook\Database;
use Guestbook\Entries;

require __DIR__ . '/../vendor/autoload.php';

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';

$respond = static function (int $status, string $body, string $type = 'text/html; charset=utf-8'): void {
    http_response_code($status);
    header('Content-Type: ' . $type);
    echo $body;
};

switch (true) {
    case $path === '/healthz':
        Database::connect()->query('SELECT 1');
        $respond(200, '{"status":"ok"}', 'application/json');
        break;

    case $path === '/' && $method === 'GET':
        $entries = (new Entries(Database::connect()))->latest(50);
        ob_start();
        require __DIR__ . '/../templates/index.php';
        $respond(200, (string) ob_get_clean());
        break;

    case $path === '/entries' && $method === 'POST':
        $name = trim((string) ($_POST['name'] ?? ''));
        $message = trim((string) ($_POST['message'] ?? ''));
        if ($name === '' || $message === '' || mb_strlen($message) > 500) {
            $respond(422, 'A name and a message of at most 500 characters are required.');
            break;
        }
        (new Entries(Database::connect()))->add($name, $message);
        header('Location: /', true, 303);
        break;

    default:
        $respond(404, 'Not found');
}
