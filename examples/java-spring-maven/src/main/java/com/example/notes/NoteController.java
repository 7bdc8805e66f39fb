package com.example.notes;

import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/notes")
public class NoteController {

    // Notes longer than this are rejected; set NOTES_MAX_LENGTH to change it.
    private static final int MAX_LENGTH = maxLength();

    private final NoteRepository notes;

    public NoteController(NoteRepository notes) {
        this.notes = notes;
    }

    @GetMapping
    public List<Note> recent() {
        return notes.findTop50ByOrderByCreatedAtDesc();
    }

    @GetMapping("/{id}")
    public ResponseEntity<Note> one(@PathVariable Long id) {
        return notes.findById(id).map(ResponseEntity::ok).orElse(ResponseEntity.notFound().build());
    }

    @PostMapping
    public ResponseEntity<?> create(@RequestBody Map<String, String> body) {
        String text = body.getOrDefault("text", "").strip();
        if (text.isEmpty() || text.length() > MAX_LENGTH) {
            return ResponseEntity.badRequest().body(Map.of("error", "text must be 1-" + MAX_LENGTH + " characters"));
        }
        return ResponseEntity.status(HttpStatus.CREATED).body(notes.save(new Note(text)));
    }

    private static int maxLength() {
        return Integer.parseInt(System.getenv().getOrDefault("NOTES_MAX_LENGTH", "2000"));
    }
}
