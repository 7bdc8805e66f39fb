package main

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Note is one stored note.
type Note struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

// store keeps notes in memory; it is safe for concurrent use.
type store struct {
	mu    sync.Mutex
	notes []Note
}

func newStore() *store { return &store{} }

func (s *store) add(text string) Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	note := Note{ID: len(s.notes) + 1, Text: text}
	s.notes = append(s.notes, note)
	return note
}

func (s *store) get(id int) (Note, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || id > len(s.notes) {
		return Note{}, false
	}
	return s.notes[id-1], true
}

func (s *store) all() []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Note(nil), s.notes...)
}

type server struct {
	store  *store
	token  string
	logger *slog.Logger
}

func newServer(st *store, token string, logger *slog.Logger) *server {
	return &server{store: st, token: token, logger: logger}
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /notes", s.listNotes)
	mux.HandleFunc("GET /notes/{id}", s.getNote)
	mux.Handle("POST /notes", s.requireToken(http.HandlerFunc(s.createNote)))
	return mux
}

func (s *server) listNotes(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.store.all())
}

func (s *server) getNote(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	note, ok := s.store.get(id)
	if !ok {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, note)
}

func (s *server) createNote(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || strings.TrimSpace(body.Text) == "" {
		http.Error(w, "text is required", http.StatusBadRequest)
		return
	}
	note := s.store.add(body.Text)
	s.logger.Info("note created", "id", note.ID)
	writeJSON(w, http.StatusCreated, note)
}

// requireToken lets a request through only with "Authorization: Bearer <API_TOKEN>".
// With no token configured, writes are refused rather than left open.
func (s *server) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		given := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if s.token == "" || subtle.ConstantTimeCompare([]byte(given), []byte(s.token)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, value any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(value)
}
