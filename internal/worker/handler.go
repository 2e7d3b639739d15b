package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Message is one SQS message handed to a Handler.
type Message struct {
	// ID is the SQS MessageId.
	ID string
	// Body is the message body.
	Body string
	// ReceiptHandle identifies this receive of the message; it is what
	// delete and visibility calls need.
	ReceiptHandle string
	// ReceiveCount is the SQS ApproximateReceiveCount (1 on first delivery),
	// or 0 if SQS did not report it.
	ReceiveCount int
	// Received is when the worker's ReceiveMessage call returned this
	// receive of the message (the worker's clock).
	Received time.Time
	// FirstReceived is when SQS first handed the message to any consumer
	// (its ApproximateFirstReceiveTimestamp, in milliseconds), or the zero
	// time if SQS did not report it.
	FirstReceived time.Time
}

// Handler processes one message. Returning nil means the message is done and
// the worker deletes it; returning an error leaves it on the queue for
// redelivery (and eventually the dead-letter queue). Handle must return
// promptly once ctx is cancelled, which happens when the shutdown timeout is
// about to expire.
type Handler interface {
	Handle(ctx context.Context, msg Message) error
}

// HandlerFunc adapts an ordinary function to the Handler interface.
type HandlerFunc func(ctx context.Context, msg Message) error

// Handle calls f(ctx, msg).
func (f HandlerFunc) Handle(ctx context.Context, msg Message) error { return f(ctx, msg) }

// PoisonMarker makes DemoHandler fail any message whose body contains it.
const PoisonMarker = "poison"

// ErrPoison is returned (wrapped) by DemoHandler for poison messages.
var ErrPoison = errors.New("poison message")

// DemoHandler is the default handler: it computes the SHA-256 of the body,
// waits for Work (simulating a slow downstream call), and fails messages
// whose body contains PoisonMarker so dead-letter behaviour can be shown.
type DemoHandler struct {
	// Work is the simulated processing time per message.
	Work time.Duration
	// Digest, if set, is called with the hex digest of each processed body.
	Digest func(msg Message, hexDigest string)
}

// Handle implements Handler.
func (h DemoHandler) Handle(ctx context.Context, msg Message) error {
	if strings.Contains(msg.Body, PoisonMarker) {
		return fmt.Errorf("message %s: %w", msg.ID, ErrPoison)
	}
	sum := sha256.Sum256([]byte(msg.Body))
	if h.Work > 0 {
		t := time.NewTimer(h.Work)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("message %s: simulated work interrupted: %w", msg.ID, ctx.Err())
		}
	}
	if h.Digest != nil {
		h.Digest(msg, hex.EncodeToString(sum[:]))
	}
	return nil
}
