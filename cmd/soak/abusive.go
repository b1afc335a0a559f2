package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auditgraph/auditgraph/db/seed"
)

// abusiveRequests are the abusive requests, each as one HTTP
// request to send: documents that cost seconds before the limits, made-up
// keys, unique operation names, and a valid key's pool-pinning aliases.
func abusiveRequests(base string, keys map[string]string, i int) *http.Request {
	var b strings.Builder
	key := ""
	var body any
	switch i % 8 {
	case 0: // conflicting aliases
		b.WriteString("{")
		for j := 0; j < 500; j++ {
			b.WriteString(" a:__typename a:viewer{id}")
		}
		b.WriteString(" }")
	case 1: // fragment doubling
		b.WriteString("query{...F0}")
		for j := 0; j < 24; j++ {
			fmt.Fprintf(&b, " fragment F%d on Query{...F%d ...F%d}", j, j+1, j+1)
		}
		b.WriteString(" fragment F24 on Query{__typename}")
	case 2: // 10,000 __typename
		b.WriteString("{" + strings.Repeat(" __typename", 10_000) + " }")
	case 3: // a deep list literal
		b.WriteString(`{ eventTypeHistory(eventTypeId: "1", filter: {actions: ` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}) { totalCount } }`)
	case 4: // a chain of fragments
		b.WriteString("query{...F0}")
		for j := 0; j < 3000; j++ {
			fmt.Fprintf(&b, " fragment F%d on Query{...F%d}", j, j+1)
		}
		b.WriteString(" fragment F3000 on Query{__typename}")
	case 5: // a made-up key
		key = fmt.Sprintf("cal_soakmadeup%012d", i)
		b.WriteString("{ viewer { id } }")
	case 6: // a unique operation name
		name := fmt.Sprintf("Op%d_%s", i, strings.Repeat("x", 1000))
		body = map[string]any{"query": "query " + name + " { __typename }", "operationName": name}
	case 7: // a valid key's totalCount aliases
		key = keys["owner"]
		b.WriteString(`query($o: ID!, $u: ID!) {`)
		for j := 0; j < 2400; j++ {
			fmt.Fprintf(&b, " a%d: memberChangeLogs(organizationId: $o, userId: $u, first: 0) { totalCount }", j)
		}
		b.WriteString(" }")
		body = map[string]any{"query": b.String(), "variables": map[string]any{
			"o": strconv.FormatInt(seed.AcmeID, 10), "u": strconv.FormatInt(seed.MemberUserID, 10)}}
	}
	if body == nil {
		body = map[string]any{"query": b.String()}
	}
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql?op=abusive", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return req
}

// abuseFigures counts the abusive clients' answers.
type abuseFigures struct {
	mu       sync.Mutex
	requests int
	byAnswer map[string]int
	slowest  time.Duration
}

// abuse runs n abusive clients, each sending rate requests per second,
// until ctx ends.
func abuse(ctx context.Context, base string, keys map[string]string, n int, rate float64) *abuseFigures {
	f := &abuseFigures{byAnswer: map[string]int{}}
	if n <= 0 || rate <= 0 {
		return f
	}
	client := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for c := 0; c < n; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
			defer tick.Stop()
			for i := c; ; i += n {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				start := time.Now()
				resp, err := client.Do(abusiveRequests(base, keys, i).WithContext(ctx))
				answer := "transport error"
				if err == nil {
					raw, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					answer = strconv.Itoa(resp.StatusCode) + " " + strings.Join(errorCodes(raw), ",")
				} else if ctx.Err() != nil {
					return
				}
				f.mu.Lock()
				f.requests++
				f.byAnswer[answer]++
				f.slowest = max(f.slowest, time.Since(start))
				f.mu.Unlock()
			}
		}(c)
	}
	return f
}

func (f *abuseFigures) report() (text string, failures int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "abusive requests    %d, slowest answer %s\n", f.requests, f.slowest.Round(time.Millisecond))
	answers := make([]string, 0, len(f.byAnswer))
	for a := range f.byAnswer {
		answers = append(answers, a)
	}
	sort.Strings(answers)
	for _, a := range answers {
		fmt.Fprintf(&b, "  %-50s %d\n", a, f.byAnswer[a])
		// Every abusive request must be answered, and not with a 5xx. An
		// answer without errors is fine: a unique operation name on a
		// small document is served (its label is bounded, not refused).
		if strings.HasPrefix(a, "5") || strings.HasPrefix(a, "transport") {
			failures += f.byAnswer[a]
		}
	}
	return b.String(), failures
}
