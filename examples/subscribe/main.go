// Command subscribe follows one event type's history live, over
// graphql-transport-ws, and resumes from its last cursor whenever the
// subscription ends (a dropped connection, a restart, SLOW_SUBSCRIBER):
//
//	go run ./examples/subscribe -key cal_… -event-type 2
//
// With -after, it starts after that cursor (a page's startCursor) and first
// receives every entry written since.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/coder/websocket"
)

const query = `subscription($id: ID!, $after: String) {
  eventTypeHistory(eventTypeId: $id, after: $after) {
    cursor
    node { id timestamp actionDisplayTitle }
  }
}`

type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func main() {
	url := flag.String("url", "ws://127.0.0.1:8080/graphql", "the server's GraphQL WebSocket endpoint")
	key := flag.String("key", os.Getenv("AUDITGRAPH_API_KEY"), "API key (cal_…)")
	eventType := flag.String("event-type", "2", "event type id")
	after := flag.String("after", "", "start after this cursor")
	flag.Parse()
	if *key == "" {
		log.Fatal("-key (or AUDITGRAPH_API_KEY) is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cursor := *after
	for ctx.Err() == nil {
		err := follow(ctx, *url, *key, *eventType, &cursor)
		if ctx.Err() != nil {
			return
		}
		log.Printf("subscription ended (%v); resuming after %q", err, cursor)
		time.Sleep(time.Second)
	}
}

// follow runs one subscription, advancing cursor with every entry.
func follow(ctx context.Context, url, key, eventType string, cursor *string) error {
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return err
	}
	defer conn.CloseNow()
	send := func(m message) error {
		b, _ := json.Marshal(m)
		return conn.Write(ctx, websocket.MessageText, b)
	}
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + key})
	if err := send(message{Type: "connection_init", Payload: init}); err != nil {
		return err
	}
	vars := map[string]any{"id": eventType}
	if *cursor != "" {
		vars["after"] = *cursor
	}
	sub, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		var m message
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		switch m.Type {
		case "connection_ack":
			if err := send(message{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
				return err
			}
		case "ping":
			send(message{Type: "pong"})
		case "next":
			var r struct {
				Data struct {
					EventTypeHistory *struct {
						Cursor string
						Node   struct{ ID, Timestamp, ActionDisplayTitle string }
					}
				}
				Errors []struct {
					Message    string
					Extensions map[string]any
				}
			}
			if err := json.Unmarshal(m.Payload, &r); err != nil {
				return err
			}
			if e := r.Data.EventTypeHistory; e != nil {
				*cursor = e.Cursor
				fmt.Printf("%s  %s  %s\n", e.Node.Timestamp, e.Node.ID, e.Node.ActionDisplayTitle)
			}
			for _, e := range r.Errors {
				if c, ok := e.Extensions["cursor"].(string); ok && c != "" {
					*cursor = c
				}
				if code := e.Extensions["code"]; code == "FORBIDDEN" || code == "UNAUTHENTICATED" || code == "BAD_USER_INPUT" {
					log.Fatalf("%s: %s", code, e.Message)
				}
				return fmt.Errorf("%v: %s", e.Extensions["code"], e.Message)
			}
		case "error":
			log.Fatalf("refused: %s", strings.TrimSpace(string(m.Payload)))
		case "complete":
			return errors.New("completed")
		}
	}
}
