package junction_test

import (
	"context"
	"errors"
	"io"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	junction "junction/clients/go"
	v1 "junction/clients/go/gen/junction/v1"
)

const text = "I want to book a flight to Paris"

// client dials the orchestrator serving the demo that ClientsEndToEndTest starts.
func client(t *testing.T) *junction.Client {
	t.Helper()
	address := os.Getenv("JUNCTION_ADDRESS")
	if address == "" {
		t.Fatal("JUNCTION_ADDRESS is not set (expected: host:port of an orchestrator serving the demo)")
	}
	c, err := junction.New(address, junction.WithTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestConverseClassifiesAndReplies(t *testing.T) {
	r, err := client(t).Converse(context.Background(), &v1.ConverseRequest{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if r.Intent != "book_flight" || r.Confidence <= 0 || r.Confidence > 1 {
		t.Fatalf("intent %q confidence %v (expected: book_flight in (0, 1])", r.Intent, r.Confidence)
	}
	if len(r.Tokens) < 3 || r.Reply != strings.Join(r.Tokens, " ") {
		t.Fatalf("reply %q tokens %q (expected: at least 3 tokens joined by spaces)", r.Reply, r.Tokens)
	}
}

func TestConverseStreamSendsTheIntentThenEachTokenThenTheWholeReply(t *testing.T) {
	c := client(t)
	s, err := c.ConverseStream(context.Background(), &v1.ConverseRequest{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var events []*v1.ConverseEvent
	for {
		e, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	if len(events) < 3 || events[0].GetIntent() == nil || events[len(events)-1].GetDone() == nil {
		t.Fatalf("events %v (expected: intent, tokens, done)", events)
	}
	var streamed []string
	for _, e := range events[1 : len(events)-1] {
		token, ok := e.Event.(*v1.ConverseEvent_Token)
		if !ok {
			t.Fatalf("event %v between intent and done (expected: a token)", e)
		}
		streamed = append(streamed, token.Token)
	}
	done := events[len(events)-1].GetDone()
	if strings.Join(streamed, " ") != strings.Join(done.Tokens, " ") || events[0].GetIntent().Intent != done.Intent {
		t.Fatalf("streamed %q, done %v", streamed, done)
	}
	unary, err := c.Converse(context.Background(), &v1.ConverseRequest{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if unary.Reply != done.Reply {
		t.Fatalf("streamed reply %q, unary %q (expected: the same, greedy)", done.Reply, unary.Reply)
	}
}

func TestRecommendReturnsKDistinctItemsHighestScoreFirst(t *testing.T) {
	items, err := client(t).Recommend(context.Background(), 42, 5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, i := range items {
		seen[i.ItemId] = true
	}
	if len(items) != 5 || len(seen) != 5 {
		t.Fatalf("items %v (expected: 5 distinct)", items)
	}
	if !sort.SliceIsSorted(items, func(a, b int) bool { return items[a].Score > items[b].Score }) {
		t.Fatalf("items %v (expected: highest score first)", items)
	}
}

func TestRunPipelineRecommendRanksAsRecommendDoes(t *testing.T) {
	c := client(t)
	out, err := c.RunPipeline(context.Background(), "recommend", []*junction.Tensor{junction.Int64s("user_id", 42)})
	if err != nil {
		t.Fatal(err)
	}
	items, scores := out["items"], out["scores"]
	if items == nil || scores == nil || len(items.Int64s) != len(scores.FP32s) || len(items.Int64s) < 5 {
		t.Fatalf("outputs %v (expected: items and scores, as many of each)", out)
	}
	want, err := c.Recommend(context.Background(), 42, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if items.Int64s[i] != w.ItemId {
			t.Fatalf("pipeline items %v, Recommend %v (expected: the same first 5)", items.Int64s[:5], want)
		}
	}
}

func TestModelInferRunsAModel(t *testing.T) {
	out, err := client(t).ModelInfer(context.Background(), "user_tower",
		[]*junction.Tensor{junction.Int64s("user_id", 42, 7)})
	if err != nil {
		t.Fatal(err)
	}
	e := out["embedding"]
	if e == nil || e.Datatype != "FP32" || len(e.Shape) != 2 || e.Shape[0] != 2 || e.Shape[1] != 32 || len(e.FP32s) != 64 {
		t.Fatalf("embedding %+v (expected: FP32 [2, 32])", e)
	}
	nonZero := false
	for _, v := range e.FP32s {
		nonZero = nonZero || v != 0
	}
	if !nonZero {
		t.Fatal("embedding is all zeros")
	}
}

func TestModelInferRunsAPipelineWithStrings(t *testing.T) {
	out, err := client(t).ModelInfer(context.Background(), "chat",
		[]*junction.Tensor{junction.Strings("text", text)}, "intent")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || len(out["intent"].Bytes) != 1 || string(out["intent"].Bytes[0]) != "book_flight" {
		t.Fatalf("outputs %v (expected: only intent, book_flight)", out)
	}
}

func TestAnInvalidArgumentIsInvalidArgumentNamingTheField(t *testing.T) {
	_, err := client(t).Recommend(context.Background(), -1, 0)
	if status.Code(err) != codes.InvalidArgument || !strings.HasPrefix(status.Convert(err).Message(), "user_id: -1 (expected: ") {
		t.Fatalf("error %v (expected: INVALID_ARGUMENT user_id: -1 (expected: ...))", err)
	}
}

func TestAnUnknownPipelineIsNotFound(t *testing.T) {
	_, err := client(t).RunPipeline(context.Background(), "no_such_pipeline", []*junction.Tensor{junction.Int64s("user_id", 1)})
	if status.Code(err) != codes.NotFound || !strings.Contains(status.Convert(err).Message(), "no_such_pipeline") {
		t.Fatalf("error %v (expected: NOT_FOUND naming the pipeline)", err)
	}
}

func TestATinyDeadlineIsDeadlineExceeded(t *testing.T) {
	c := client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Microsecond)
	defer cancel()
	_, err := c.Converse(ctx, &v1.ConverseRequest{Text: text})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("error %v (expected: DEADLINE_EXCEEDED)", err)
	}
	// the client's own timeout applies to a context without a deadline
	short, err := junction.New(os.Getenv("JUNCTION_ADDRESS"), junction.WithTimeout(time.Microsecond))
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	s, err := short.ConverseStream(context.Background(), &v1.ConverseRequest{Text: text})
	if err == nil {
		for err == nil {
			_, err = s.Recv()
		}
	}
	if status.Code(err) != codes.DeadlineExceeded || errors.Is(err, io.EOF) {
		t.Fatalf("error %v (expected: DEADLINE_EXCEEDED)", err)
	}
}
