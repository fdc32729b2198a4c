package engine_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldrt/herald/engine"
	"github.com/heraldrt/herald/engine/eio"
	"github.com/heraldrt/herald/engine/enginetest"
)

// start runs srv on a free loopback port and returns its base URL.
func start(srv *engine.Server) string {
	if err := srv.Listen("127.0.0.1:0", eio.ReactorConfig{}); err != nil {
		panic(err)
	}
	return "http://" + srv.Reactor().Addr().String()
}

func stop(srv *engine.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// A chat with rooms: clients join a room with an acknowledged event, and a
// message said in a room reaches everyone else in it.
func Example_chat() {
	srv, _ := engine.NewServer(engine.Config{})
	chat := srv.Of("/")
	chat.On("join", func(e *engine.Event) {
		room, _ := e.Args.String(0)
		e.Socket().Join(room)
		_ = e.Ack("joined " + room)
	})
	chat.On("say", func(e *engine.Event) {
		room, _ := e.Args.String(0)
		text, _ := e.Args.String(1)
		_ = e.Socket().To(room).Emit("said", text)
	})
	url := start(srv)
	defer stop(srv)

	ctx := context.Background()
	join := func(name, room string) *enginetest.Socket {
		c, _ := enginetest.Dial(ctx, url)
		s, _ := c.Connect(ctx, "/", nil)
		ack, _ := s.EmitWithAck(ctx, "join", room)
		fmt.Println(name, ack.String(0))
		return s
	}
	alice := join("alice", "go")
	bob := join("bob", "go")
	_ = alice.Emit("say", "go", "hello, gophers")
	e, _ := bob.Next(ctx)
	fmt.Println("bob got", e.Name+":", e.Args.String(0))
	// Output:
	// alice joined go
	// bob joined go
	// bob got said: hello, gophers
}

// Acknowledgements both ways: the server answers a client's event, and asks
// the client for an answer of its own.
func Example_acks() {
	srv, _ := engine.NewServer(engine.Config{})
	srv.Of("/").On("sum", func(e *engine.Event) {
		var a, b int
		_ = e.Args.Decode(0, &a)
		_ = e.Args.Decode(1, &b)
		_ = e.Ack(a + b)
	})
	answers := make(chan string, 1)
	srv.OnConnection(func(s *engine.Socket) {
		_ = s.Timeout(time.Second).Emit("ready?", engine.AckFunc(func(args engine.Args, err error) {
			if err != nil {
				answers <- err.Error()
				return
			}
			v, _ := args.String(0)
			answers <- v
		}))
	})
	url := start(srv)
	defer stop(srv)

	ctx := context.Background()
	c, _ := enginetest.Dial(ctx, url)
	s, _ := c.Connect(ctx, "/", nil)
	question, _ := s.Next(ctx)
	_ = question.Ack("ready!")
	fmt.Println("server asked", question.Name, "and heard", <-answers)
	sum, _ := s.EmitWithAck(ctx, "sum", 2, 40)
	var n int
	_ = sum.Decode(0, &n)
	fmt.Println("2 + 40 =", n)
	// Output:
	// server asked ready? and heard ready!
	// 2 + 40 = 42
}

// A namespace guarded by middleware: the CONNECT auth payload must carry
// the right token, and a refusal reaches the client as connect_error with
// a message and data.
func Example_authMiddleware() {
	srv, _ := engine.NewServer(engine.Config{})
	admin := srv.Of("/admin")
	admin.Use(func(s *engine.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		if err := s.Handshake().AuthValue(&auth); err != nil || auth.Token != "s3cret" {
			return engine.NewConnectError("unauthorized", map[string]string{"hint": "send a token"})
		}
		s.Set("role", "admin")
		return nil
	})
	admin.OnConnection(func(s *engine.Socket) {
		role, _ := s.Get("role")
		_ = s.Emit("welcome", role)
	})
	url := start(srv)
	defer stop(srv)

	ctx := context.Background()
	c, _ := enginetest.Dial(ctx, url)
	_, err := c.Connect(ctx, "/admin", map[string]string{"token": "wrong"})
	var refused *enginetest.ConnectError
	if errors.As(err, &refused) {
		fmt.Println("refused:", refused.Message(), string(refused.Data()))
	}
	s, _ := c.Connect(ctx, "/admin", map[string]string{"token": "s3cret"})
	e, _ := s.Next(ctx)
	fmt.Println(e.Name, e.Args.String(0))
	// Output:
	// refused: unauthorized {"hint":"send a token"}
	// welcome admin
}

// Binary data travels as attachments, wherever it sits in the arguments.
func Example_binary() {
	srv, _ := engine.NewServer(engine.Config{})
	srv.Of("/").On("upload", func(e *engine.Event) {
		var file struct {
			Name string `json:"name"`
			Data []byte `json:"data"`
		}
		_ = e.Args.Decode(0, &file)
		checksum := 0
		for _, b := range file.Data {
			checksum += int(b)
		}
		_ = e.Ack(map[string]any{"name": file.Name, "size": len(file.Data), "echo": file.Data[:2]})
		fmt.Println("server got", file.Name, "sum", checksum)
	})
	url := start(srv)
	defer stop(srv)

	ctx := context.Background()
	c, _ := enginetest.Dial(ctx, url)
	s, _ := c.Connect(ctx, "/", nil)
	ack, _ := s.EmitWithAck(ctx, "upload", map[string]any{"name": "blob.bin", "data": []byte{1, 2, 3, 4}})
	var reply struct {
		Name string `json:"name"`
		Size int    `json:"size"`
		Echo []byte `json:"echo"`
	}
	_ = ack.Decode(0, &reply)
	fmt.Println("client got", reply.Name, reply.Size, reply.Echo, "in", len(ack.Attachments), "attachment")
	// Output:
	// server got blob.bin sum 10
	// client got blob.bin 4 [1 2] in 1 attachment
}
