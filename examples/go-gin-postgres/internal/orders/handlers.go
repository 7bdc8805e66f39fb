package orders

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// Handler serves the /orders routes.
type Handler struct {
	store *Store
}

// NewHandler returns a Handler over a Store.
func NewHandler(store *Store) *Handler {
	return &Handler{store: store}
}

// Register adds the order routes to a router group.
func (h *Handler) Register(group *gin.RouterGroup) {
	group.GET("", h.list)
	group.GET("/:id", h.get)
	group.POST("", h.create)
}

func (h *Handler) list(c *gin.Context) {
	orders, err := h.store.List(c.Request.Context(), 50)
	if err != nil {
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "could not list orders"})
		return
	}
	c.JSON(http.StatusOK, orders)
}

func (h *Handler) get(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "bad id"})
		return
	}
	order, err := h.store.Get(c.Request.Context(), id)
	switch {
	case errors.Is(err, ErrNotFound):
		c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"error": err.Error()})
	case err != nil:
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "could not load order"})
	default:
		c.JSON(http.StatusOK, order)
	}
}

type createRequest struct {
	Customer   string `json:"customer" binding:"required"`
	TotalCents int64  `json:"total_cents" binding:"required,gt=0"`
}

func (h *Handler) create(c *gin.Context) {
	var req createRequest
	if err := c.ShouldBindJSON(&req); err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": err.Error()})
		return
	}
	order, err := h.store.Create(c.Request.Context(), req.Customer, req.TotalCents)
	if err != nil {
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "could not create order"})
		return
	}
	c.JSON(http.StatusCreated, order)
}
