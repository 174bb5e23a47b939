// Command glm3-stream streams signals from a JSON Lines file to ScoringService.ScoreStream and prints one
// line per result, then a summary: an example of a Go client built on the generated code in generated/go.
//
// Usage:
//
//	glm3-stream [-target 127.0.0.1:50051] [-frame 100] [-timeout 5m]
//	            [-tls] [-ca FILE] [-cert FILE -key FILE] [-server-name NAME] [-token TOKEN] [FILE|-]
//
// Without -tls, -ca, -cert, -key or -server-name the call is plaintext gRPC. Security flags:
//
//	-tls               TLS, the server's certificate verified against the system's root certificates
//	-ca FILE           TLS, the server's certificate verified against the PEM root certificates in FILE
//	                   only (instead of the system's)
//	-cert FILE         mutual TLS: the PEM client certificate (chain) presented to the server; needs -key
//	-key FILE          the PEM private key of -cert; needs -cert
//	-server-name NAME  TLS: the name the server's certificate must hold (and SNI), instead of -target's host
//	-token TOKEN       bearer token sent as `authorization: Bearer TOKEN` metadata on the call; without
//	                   -token, the environment variable GLM3_TOKEN (unset or empty: no token). The token
//	                   is never printed. Without TLS it travels in clear text: give -tls or -ca with it
//	                   unless the server is on this machine
//
// -ca, -cert, -key and -server-name imply TLS. A call the server refuses (UNAUTHENTICATED, say, with its
// ErrorInfo reason TOKEN_MISSING or TOKEN_INVALID, or PERMISSION_DENIED ROLE_REQUIRED) is a failed call.
//
// Each input line is a signal in the seed's JSON (proto3 JSON of glm3.scoring.v1.Signal). Signals are sent
// in frames of -frame signals while results are read concurrently, so results arrive while the file is
// still being sent and the server's in-flight window applies back-pressure. Output, one line per result:
//
//	<correlation id> <VERDICT> <overall score>            for a scored signal
//	<correlation id> ERROR <CODE> <REASON> <field>: <why>  for a failed one (every field violation)
//
// then `summary: ...`. The correlation id is the signal's id, or `line-N` for a signal without one.
// A line that is not a valid signal is reported on stderr with its line number and skipped. Exit status: 0
// when every signal was scored, 1 when any line or signal failed, 2 for bad usage (including an unreadable
// or invalid -ca, -cert or -key file, and a token that is not one line of printable ASCII), 3 when the call
// failed; a failed call prints `stream failed: <CODE> <REASON> <message>` on stderr.
//
// A module of its own (clients/go/go.mod) that requires github.com/glm3/signal-services/generated/go and
// replaces it with ../../generated/go, built with the machine's Go against google.golang.org/protobuf
// (APIv2) and grpc-go at the versions pinned in generated/go/go.mod: `make clients-go` in the repository
// root.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	scoringv1 "github.com/glm3/signal-services/generated/go/glm3/scoring/v1"
)

// maxLine bounds one input line; the server refuses requests over 16 MiB anyway.
const maxLine = 16 << 20

// tokenEnv names the environment variable that holds the bearer token when -token is not given.
const tokenEnv = "GLM3_TOKEN"

type options struct {
	target  string
	frame   int
	timeout time.Duration
	input   string

	tls        bool   // -tls, or implied by -ca, -cert, -key or -server-name
	caFile     string // PEM roots; empty: the system's
	certFile   string // client certificate for mutual TLS, with keyFile
	keyFile    string
	serverName string
	token      string // bearer token; empty: none
}

func parseFlags() (options, error) {
	var o options
	flag.StringVar(&o.target, "target", "127.0.0.1:50051", "scoring server address (plaintext gRPC unless TLS is asked for)")
	flag.IntVar(&o.frame, "frame", 100, "signals per request frame, 1 to 1000")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "deadline of the whole stream")
	flag.BoolVar(&o.tls, "tls", false, "use TLS, verifying the server against the system's root certificates")
	flag.StringVar(&o.caFile, "ca", "", "`FILE` of PEM root certificates to verify the server with, not the system's (implies -tls)")
	flag.StringVar(&o.certFile, "cert", "", "`FILE` of the PEM client certificate for mutual TLS; needs -key (implies -tls)")
	flag.StringVar(&o.keyFile, "key", "", "`FILE` of the PEM private key of -cert; needs -cert (implies -tls)")
	flag.StringVar(&o.serverName, "server-name", "", "server `NAME` to verify the certificate with, not -target's host (implies -tls)")
	flag.StringVar(&o.token, "token", "", "bearer `TOKEN` sent as authorization metadata (default $"+tokenEnv+")")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: glm3-stream [flags] [FILE|-]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	tokenFlag := false
	flag.Visit(func(f *flag.Flag) { tokenFlag = tokenFlag || f.Name == "token" })
	if !tokenFlag {
		o.token = os.Getenv(tokenEnv)
	}
	switch {
	case flag.NArg() > 1:
		return o, errors.New("at most one input file")
	case o.frame < 1 || o.frame > 1000:
		return o, fmt.Errorf("-frame must be 1 to 1000, got %d", o.frame)
	case o.timeout <= 0:
		return o, errors.New("-timeout must be positive")
	case (o.certFile == "") != (o.keyFile == ""):
		return o, errors.New("-cert and -key go together: give both or neither")
	}
	if err := checkToken(o.token, tokenFlag); err != nil {
		return o, err
	}
	o.tls = o.tls || o.caFile != "" || o.certFile != "" || o.serverName != ""
	o.input = flag.Arg(0)
	return o, nil
}

// checkToken refuses a token that cannot be one metadata value: a line break (a token file read with its
// newline, say) or any other character outside printable ASCII. The message never shows the token.
func checkToken(token string, fromFlag bool) error {
	source := "-token"
	if !fromFlag {
		source = tokenEnv
	}
	for _, c := range token {
		switch {
		case c == '\n' || c == '\r':
			return fmt.Errorf("%s must be one line: it contains a line break", source)
		case c < 0x20 || c > 0x7e:
			return fmt.Errorf("%s must be printable ASCII", source)
		}
	}
	return nil
}

// transportCredentials builds the TLS configuration of the connection from the PEM files. A file that is
// missing, unreadable or not PEM of the right kind is a usage error.
func transportCredentials(o options) (credentials.TransportCredentials, error) {
	config := &tls.Config{ServerName: o.serverName, MinVersion: tls.VersionTLS12}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, fmt.Errorf("-ca: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-ca: no PEM certificate in %s", o.caFile)
		}
		config.RootCAs = roots
	}
	if o.certFile != "" {
		pair, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return nil, fmt.Errorf("-cert/-key: %w", err)
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(config), nil
}

func main() {
	o, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "glm3-stream:", err)
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(o))
}

// tally counts what happened. The receiving goroutine owns scored, failed and verdicts; the sender owns
// sent and badLines, which are read only after it is done.
type tally struct {
	sent, badLines, scored, failed int
	verdicts                       map[string]int
}

func run(o options) int {
	in := os.Stdin
	if o.input != "" && o.input != "-" {
		f, err := os.Open(o.input)
		if err != nil {
			fmt.Fprintln(os.Stderr, "glm3-stream:", err)
			return 2
		}
		defer f.Close()
		in = f
	}

	security := grpc.WithTransportCredentials(insecure.NewCredentials())
	if o.tls {
		creds, err := transportCredentials(o)
		if err != nil {
			fmt.Fprintln(os.Stderr, "glm3-stream:", err)
			return 2
		}
		security = grpc.WithTransportCredentials(creds)
	}

	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	if o.token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+o.token)
	}
	// NewClient does not connect yet: an unreachable server fails the ScoreStream call (UNAVAILABLE).
	conn, err := grpc.NewClient(o.target, security)
	if err != nil {
		fmt.Fprintln(os.Stderr, "glm3-stream: dial:", err)
		return 3
	}
	defer conn.Close()
	started := time.Now()
	t := tally{verdicts: map[string]int{}}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	callErr := stream(ctx, cancel, scoringv1.NewScoringServiceClient(conn), in, o.frame, out, &t)

	var verdicts []string
	for v := range t.verdicts {
		verdicts = append(verdicts, fmt.Sprintf("%s=%d", v, t.verdicts[v]))
	}
	sort.Strings(verdicts)
	fmt.Fprintf(out, "summary: sent=%d scored=%d failed=%d bad_lines=%d %s elapsed=%.2fs\n",
		t.sent, t.scored, t.failed, t.badLines, strings.Join(verdicts, " "), time.Since(started).Seconds())
	if callErr != nil {
		out.Flush()
		fmt.Fprintln(os.Stderr, "glm3-stream: stream failed:", describeError(callErr))
		return 3
	}
	if t.failed > 0 || t.badLines > 0 {
		return 1
	}
	return 0
}

// stream runs one ScoreStream call: a goroutine sends the frames while this one prints the results as
// they come. It returns the call's error, if the call failed as a whole.
func stream(ctx context.Context, cancel context.CancelFunc, client scoringv1.ScoringServiceClient, in io.Reader,
	frame int, out *bufio.Writer, t *tally) error {
	call, err := client.ScoreStream(ctx)
	if err != nil {
		return err
	}
	sendDone := make(chan error, 1)
	go func() { sendDone <- send(call, in, frame, t) }()
	var recvErr error
	for {
		response, err := call.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			recvErr = err
			cancel() // stops the sender if it is blocked on a full window
			break
		}
		for _, r := range response.GetResults().GetResults() {
			report(out, r, t)
		}
		out.Flush() // one write per response frame: results show as they arrive
	}
	sendErr := <-sendDone
	if recvErr != nil {
		return recvErr
	}
	return sendErr
}

// describeError renders a call's error as per-item errors are: `CODE REASON message`, with the ErrorInfo
// reason of the status details when there is one (UNAUTHENTICATED TOKEN_MISSING ..., say).
func describeError(err error) string {
	if s, ok := status.FromError(err); ok {
		return describe(s)
	}
	return err.Error()
}

// send reads signals line by line and sends them in frames of `frame`; it never holds more than one frame.
func send(call scoringv1.ScoringService_ScoreStreamClient, in io.Reader, frame int, t *tally) error {
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 64<<10), maxLine)
	batch := &scoringv1.SignalBatch{}
	flush := func() error {
		if len(batch.Items) == 0 {
			return nil
		}
		req := &scoringv1.ScoreStreamRequest{Frame: &scoringv1.ScoreStreamRequest_Batch{Batch: batch}}
		if err := call.Send(req); err != nil {
			return err
		}
		t.sent += len(batch.Items)
		batch = &scoringv1.SignalBatch{}
		return nil
	}
	// Unknown fields are errors, as in proto3 JSON: a misspelt field name must not pass unnoticed.
	decoder := protojson.UnmarshalOptions{}
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" {
			continue
		}
		signal := &scoringv1.Signal{}
		if err := decoder.Unmarshal([]byte(text), signal); err != nil {
			fmt.Fprintf(os.Stderr, "glm3-stream: line %d skipped: not a signal: %v\n", line, err)
			t.badLines++
			continue
		}
		id := signal.Id
		if id == "" {
			id = fmt.Sprintf("line-%d", line)
		}
		batch.Items = append(batch.Items, &scoringv1.StreamSignal{CorrelationId: id, Signal: signal})
		if len(batch.Items) == frame {
			if err := flush(); err != nil {
				return sendError(call, err)
			}
		}
	}
	if err := scanner.Err(); err != nil {
		_ = call.CloseSend()
		return fmt.Errorf("reading input: %w", err)
	}
	if err := flush(); err != nil {
		return sendError(call, err)
	}
	return call.CloseSend()
}

// sendError: a failed Send returns io.EOF when the server ended the call; the real status then comes from
// Recv, so the sender reports nothing of its own.
func sendError(call scoringv1.ScoringService_ScoreStreamClient, err error) error {
	if err == io.EOF {
		return nil
	}
	_ = call.CloseSend()
	return err
}

func report(out io.Writer, r *scoringv1.ScoreResult, t *tally) {
	if c := r.GetCandidate(); c != nil {
		verdict := strings.TrimPrefix(c.Verdict.String(), "VERDICT_")
		t.scored++
		t.verdicts[verdict]++
		fmt.Fprintf(out, "%s %s %.2f\n", r.CorrelationId, verdict, c.OverallScore)
		return
	}
	t.failed++
	description := "UNKNOWN (result with neither candidate nor error)"
	if e := r.GetError(); e != nil {
		description = describe(status.FromProto(e))
	}
	fmt.Fprintf(out, "%s ERROR %s\n", r.CorrelationId, description)
}

// describe renders a google.rpc.Status: code name, ErrorInfo reason, and every BadRequest field violation.
// Details decodes each packed detail whose type is linked in (errdetails registers ErrorInfo and
// BadRequest); one it cannot decode comes back as an error value and is passed over.
func describe(s *status.Status) string {
	// google.rpc.Code names (INVALID_ARGUMENT), as every gRPC tool prints them; grpc-go's own String()
	// would say InvalidArgument.
	parts := []string{rpccode.Code(s.Code()).String()}
	reason := ""
	var violations []string
	for _, detail := range s.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			reason = d.GetReason()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				violations = append(violations, fmt.Sprintf("%s: %s", v.GetField(), v.GetDescription()))
			}
		}
	}
	if reason != "" {
		parts = append(parts, reason)
	}
	if len(violations) > 0 {
		parts = append(parts, strings.Join(violations, "; "))
	} else if s.Message() != "" {
		parts = append(parts, s.Message())
	}
	return strings.Join(parts, " ")
}
