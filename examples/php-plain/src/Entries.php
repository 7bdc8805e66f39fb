<?php

declare(strict_types=1);

namespace Guestbook;

use PDO;

final class Entries
{
    public function __construct(private readonly PDO $pdo)
    {
    }

    /** @return list<array{name: string, message: string, created_at: string}> */
    public function latest(int $limit): array
    {
        $statement = $this->pdo->prepare('SELECT name, message, created_at FROM entries ORDER BY id DESC LIMIT :limit');
        $statement->bindValue('limit', $limit, PDO::PARAM_INT);
        $statement->execute();

        return $statement->fetchAll();
    }

    public function add(string $name, string $message): void
    {
        $this->pdo->prepare('INSERT INTO entries (name, message) VALUES (?, ?)')->execute([$name, $message]);
    }
}
