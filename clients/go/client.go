// Package junction is a thin client of Junction's public gRPC API: the conversation and
// recommendation services, PipelineService.Run and the Open Inference Protocol's ModelInfer.
//
// Errors are the gRPC status errors themselves: read them with status.Code(err) and
// status.Convert(err).Message(). Deadlines come from the context; a call whose context has none
// gets the client's WithTimeout, if set, else the server's (30 s).
package junction

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"junction/clients/go/gen/inference"
	v1 "junction/clients/go/gen/junction/v1"
)

// Client holds one connection and a stub of each public service. The stubs are exported for
// the RPCs the helpers below leave out (Chat, RunStream, AdminService, the OIP metadata RPCs).
type Client struct {
	conn           *grpc.ClientConn
	timeout        time.Duration
	Conversation   v1.ConversationServiceClient
	Recommendation v1.RecommendationServiceClient
	Pipelines      v1.PipelineServiceClient
	Admin          v1.AdminServiceClient
	Inference      inference.GRPCInferenceServiceClient
}

// Option configures New.
type Option func(*settings)

type settings struct {
	timeout time.Duration
	dial    []grpc.DialOption
}

// WithTimeout sets the deadline of calls whose context has none.
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// WithDialOptions replaces the default dial options (plaintext), for TLS or interceptors.
func WithDialOptions(opts ...grpc.DialOption) Option { return func(s *settings) { s.dial = opts } }

// New makes a client of the orchestrator at target ("host:port", or any gRPC target). It does
// not connect until the first call.
func New(target string, opts ...Option) (*Client, error) {
	s := settings{dial: []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}}
	for _, o := range opts {
		o(&s)
	}
	conn, err := grpc.NewClient(target, s.dial...)
	if err != nil {
		return nil, fmt.Errorf("junction: target %q: %w", target, err)
	}
	return &Client{
		conn:           conn,
		timeout:        s.timeout,
		Conversation:   v1.NewConversationServiceClient(conn),
		Recommendation: v1.NewRecommendationServiceClient(conn),
		Pipelines:      v1.NewPipelineServiceClient(conn),
		Admin:          v1.NewAdminServiceClient(conn),
		Inference:      inference.NewGRPCInferenceServiceClient(conn),
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// withDeadline gives ctx the client's timeout when it has no deadline of its own.
func (c *Client) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || c.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}

// Converse runs one turn: the intent, its confidence and the whole reply.
func (c *Client) Converse(ctx context.Context, req *v1.ConverseRequest) (*v1.ConverseResponse, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	return c.Conversation.Converse(ctx, req)
}

// ConverseStream starts one streamed turn; read it with Recv until io.EOF, or Close it early.
func (c *Client) ConverseStream(ctx context.Context, req *v1.ConverseRequest) (*ConverseStream, error) {
	ctx, cancel := c.withDeadline(ctx)
	stream, err := c.Conversation.ConverseStream(ctx, req)
	if err != nil {
		cancel()
		return nil, err
	}
	return &ConverseStream{stream: stream, cancel: cancel}, nil
}

// ConverseStream is one streamed turn: an intent event, one token event per token, then done.
type ConverseStream struct {
	stream v1.ConversationService_ConverseStreamClient
	cancel context.CancelFunc
}

// Recv returns the next event; io.EOF after the last one, or the call's status error.
func (s *ConverseStream) Recv() (*v1.ConverseEvent, error) {
	event, err := s.stream.Recv()
	if err != nil {
		s.cancel()
	}
	return event, err
}

// Close cancels the call if it is still going; safe to call at any time, more than once.
func (s *ConverseStream) Close() { s.cancel() }

// Recommend returns the user's top k items (0: the server's default, 10), highest score first.
func (c *Client) Recommend(ctx context.Context, userID int64, k int32) ([]*v1.ScoredItem, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	r, err := c.Recommendation.Recommend(ctx, &v1.RecommendRequest{UserId: userID, K: k})
	if err != nil {
		return nil, err
	}
	return r.Items, nil
}

// RunPipeline runs a pipeline on its inputs and returns its outputs (those named, or all) by name.
func (c *Client) RunPipeline(ctx context.Context, pipeline string, inputs []*Tensor, outputs ...string) (map[string]*Tensor, error) {
	headers, raw, err := encodeInputs(inputs)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	r, err := c.Pipelines.Run(ctx, &v1.RunPipelineRequest{
		Pipeline: pipeline, Inputs: headers, RawInputContents: raw, Outputs: outputs,
	})
	if err != nil {
		return nil, err
	}
	return decodeOutputs(r.Outputs, nil)
}

// ModelInfer is the Open Inference Protocol's ModelInfer on a model or a pipeline.
func (c *Client) ModelInfer(ctx context.Context, model string, inputs []*Tensor, outputs ...string) (map[string]*Tensor, error) {
	headers, raw, err := encodeInputs(inputs)
	if err != nil {
		return nil, err
	}
	req := &inference.ModelInferRequest{ModelName: model, Inputs: headers, RawInputContents: raw}
	for _, name := range outputs {
		req.Outputs = append(req.Outputs, &inference.ModelInferRequest_InferRequestedOutputTensor{Name: name})
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	r, err := c.Inference.ModelInfer(ctx, req)
	if err != nil {
		return nil, err
	}
	return decodeOutputs(r.Outputs, r.RawOutputContents)
}
