package com.example.visits;

import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class VisitController {

    private final StringRedisTemplate redis;
    private final String keyPrefix;

    public VisitController(StringRedisTemplate redis, @Value("${VISITS_NAMESPACE:visits:}") String keyPrefix) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
    }

    @PostMapping("/pages/{page}/visits")
    public Map<String, Object> record(@PathVariable String page) {
        Long count = redis.opsForValue().increment(keyPrefix + page);
        return Map.of("page", page, "visits", count == null ? 0 : count);
    }

    @GetMapping("/pages/{page}/visits")
    public Map<String, Object> count(@PathVariable String page) {
        String value = redis.opsForValue().get(keyPrefix + page);
        return Map.of("page", page, "visits", value == null ? 0 : Long.parseLong(value));
    }

    @GetMapping("/healthz")
    public ResponseEntity<Map<String, String>> health() {
        try {
            String pong = redis.execute((RedisCallback<String>) connection -> connection.ping());
            if ("PONG".equalsIgnoreCase(pong)) {
                return ResponseEntity.ok(Map.of("status", "ok"));
            }
        } catch (DataAccessException e) {
            // fall through: Redis is unreachable
        }
        return ResponseEntity.status(503).body(Map.of("status", "redis unavailable"));
    }
}
