package engine

import "sync"

// handlerSet holds what a namespace, or a parent of dynamic namespaces,
// runs for its sockets: middleware, connection handlers and event
// handlers. Its methods are promoted to both.
type handlerSet struct {
	hmu        sync.RWMutex
	middleware []Middleware
	onConnect  []func(*Socket)
	handlers   map[string]EventHandler
	names      map[string]string // event names with a handler, to reuse their strings
	fallback   EventHandler
}

// Use adds middleware, run in order for every connecting socket; a
// parent's middleware runs before its child's.
func (h *handlerSet) Use(mw Middleware) {
	h.hmu.Lock()
	h.middleware = append(h.middleware, mw)
	h.hmu.Unlock()
}

// OnConnection adds a handler called for every socket that connects.
func (h *handlerSet) OnConnection(fn func(s *Socket)) {
	h.hmu.Lock()
	h.onConnect = append(h.onConnect, fn)
	h.hmu.Unlock()
}

// On sets the handler of one event for every socket. A socket's own
// handler for the event, set with Socket.On, takes precedence. Handlers
// set here cost nothing per socket.
func (h *handlerSet) On(event string, fn EventHandler) {
	h.hmu.Lock()
	h.handlers[event] = fn
	if h.names == nil {
		h.names = make(map[string]string)
	}
	h.names[event] = event
	h.hmu.Unlock()
}

// OnDefault sets the handler of every event that has no handler of its
// own, on the socket or the namespace, such as events matched by pattern.
func (h *handlerSet) OnDefault(fn EventHandler) {
	h.hmu.Lock()
	h.fallback = fn
	h.hmu.Unlock()
}

// connect appends the middleware and connection handlers to mw and on.
func (h *handlerSet) connect(mw []Middleware, on []func(*Socket)) ([]Middleware, []func(*Socket)) {
	h.hmu.RLock()
	defer h.hmu.RUnlock()
	return append(mw, h.middleware...), append(on, h.onConnect...)
}

// name returns the string of a handled event name, so that an incoming
// event need not allocate one.
func (h *handlerSet) name(b []byte) (string, bool) {
	h.hmu.RLock()
	s, ok := h.names[string(b)]
	h.hmu.RUnlock()
	return s, ok
}

// lookup returns the handler of event and the default handler.
func (h *handlerSet) lookup(event string) (EventHandler, EventHandler) {
	h.hmu.RLock()
	defer h.hmu.RUnlock()
	return h.handlers[event], h.fallback
}
