package backend_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/heraldrt/herald/api/backend"
)

// A backend that answers "echo" events and refuses the rest; the
// integrator turns either outcome into the client's acknowledgement.
func ExampleForwarder() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Event string
			Args  []json.RawMessage
		}
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &ev)
		if ev.Event != "echo" {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"message":"unknown event"}`)
			return
		}
		w.Write(ev.Args[0])
	}))
	defer srv.Close()

	f, err := backend.NewForwarder(backend.ForwarderConfig{URL: srv.URL})
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"echo", "other"} {
		ev := backend.Event{SocketID: "s1", Namespace: "/", Name: name, Args: json.RawMessage(`[{"hi":1}]`), WantsAck: true}
		var ack any
		reply, err := f.Forward(context.Background(), ev)
		var be *backend.Error
		switch {
		case err == nil:
			ack = reply.Body
		case errors.As(err, &be):
			ack = be.AckPayload()
		default:
			panic(err)
		}
		out, _ := json.Marshal(ack)
		fmt.Printf("%s: %s\n", name, out)
	}
	// Output:
	// echo: {"hi":1}
	// other: {"error":{"code":"backend_status","message":"unknown event","status":403}}
}
