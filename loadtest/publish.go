package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// pushConcurrency bounds POST /broadcast requests in flight, so that a slow
// answer does not hold back the publishing schedule.
const pushConcurrency = 16

// pubCounters count published messages.
type pubCounters struct {
	sent       atomic.Int64 // handed to the server
	failed     atomic.Int64
	recipients atomic.Int64 // sum of /broadcast's recipient counts
}

// publisher sends one message stamped with the current time.
type publisher func(ctx context.Context) error

// publishWait bounds the wait for a publish to be written on its loop.
const publishWait = 10 * time.Second

// socketPublisher publishes through a member connection: the message is
// built and written on the connection's event loop, stamped when written.
// It waits until the message is written, so that the count of messages
// sent, which the expected deliveries derive from, is final when
// publishing ends. A connection that once failed to write in time is
// given up on (a closed one never runs the write), so that the rest of
// the run does not wait publishWait per message.
func (r *run) socketPublisher(c conn, pc *pubCounters) publisher {
	errStalled := errors.New("publish: connection closed or stalled")
	var stalled atomic.Bool
	return func(ctx context.Context) error {
		var err error
		if stalled.Load() {
			err = errStalled
		} else {
			done := make(chan error, 1)
			err = c.exec(func(s *session, o out) error {
				err := s.publish(o)
				done <- err
				return err
			})
			if err == nil {
				select {
				case err = <-done:
				case <-ctx.Done():
					err = ctx.Err()
				case <-time.After(publishWait):
					stalled.Store(true)
					err = errStalled
				}
			}
		}
		if err != nil {
			pc.failed.Add(1)
			r.errs.add("publish: " + err.Error())
			return err
		}
		pc.sent.Add(1)
		return nil
	}
}

// pushPublisher publishes through POST /broadcast.
func (r *run) pushPublisher(hc *http.Client, pc *pubCounters) publisher {
	return func(ctx context.Context) error {
		body := r.pk.appendPush(nil, time.Now().UnixNano())
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.BroadcastURL, bytes.NewReader(body))
		if err != nil {
			pc.failed.Add(1)
			return fmt.Errorf("broadcast request: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			pc.failed.Add(1)
			r.errs.add("broadcast: " + err.Error())
			return err
		}
		out, _ := io.ReadAll(io.LimitReader(resp.Body, maxFrame))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			pc.failed.Add(1)
			r.errs.add(fmt.Sprintf("broadcast: %s", resp.Status))
			return fmt.Errorf("broadcast: %s", resp.Status)
		}
		pc.sent.Add(1)
		if n, ok := scanInt(out, `"recipients":`); ok {
			pc.recipients.Add(n)
		}
		return nil
	}
}

// publishAll sends n messages at rate per second, on schedule: a message
// that is late goes at once, and the schedule does not slip. Concurrent
// publishers (push) run in flight up to pushConcurrency.
func publishAll(ctx context.Context, pub publisher, n int, rate float64, concurrent bool) {
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, pushConcurrency)
	for i := 0; i < n; i++ {
		if !sleepCtx(ctx, time.Until(start.Add(time.Duration(i)*interval))) {
			break
		}
		if !concurrent {
			_ = pub(ctx)
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_ = pub(ctx)
		}()
	}
	wg.Wait()
}
