<?php

namespace App\Http\Controllers;

use App\Jobs\SendOrderConfirmation;
use App\Models\Order;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;

class OrderController extends Controller
{
    public function index(): JsonResponse
    {
        return response()->json(Order::latest()->limit(50)->get());
    }

    public function store(Request $request): JsonResponse
    {
        $validated = $request->validate([
            'email' => ['required', 'email'],
            'total_cents' => ['required', 'integer', 'min:1'],
        ]);

        $order = Order::create($validated);
        SendOrderConfirmation::dispatch($order);

        return response()->json($order, 201);
    }
}
