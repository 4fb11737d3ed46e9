package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/kardianos/service"
	"github.com/sirupsen/logrus"
)

// agentRunner is what the program runs: *agent.Agent.
type agentRunner interface {
	// Start listens and dials; it returns once that is under way.
	Start(ctx context.Context) error
	// Close ends every link with shutting_down. Idempotent.
	Close() error
}

// defaultStopTimeout bounds Stop: service managers give a service a few
// seconds before they kill it.
const defaultStopTimeout = 10 * time.Second

// program is the kardianos service.Interface around core/agent. Start
// launches the agent in a goroutine owned by a context and returns at once;
// Stop cancels that context, closes every link with shutting_down and
// returns within stopTimeout. Neither calls os.Exit: a failure to start
// (a port in use, say) is reported through Failed and returned by Stop, so
// the process exits non-zero and the service manager restarts it.
type program struct {
	agent       agentRunner
	log         logrus.FieldLogger
	onStarted   func() // called once the agent runs; may be nil
	stopTimeout time.Duration

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{} // closed when the run goroutine returns

	failOnce sync.Once
	failed   chan struct{} // closed when the agent stopped on its own
	err      error         // why; set before failed is closed
}

func newProgram(a agentRunner, log logrus.FieldLogger) *program {
	if log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		log = l
	}
	return &program{agent: a, log: log, stopTimeout: defaultStopTimeout, failed: make(chan struct{})}
}

// Start launches the agent and returns at once.
func (p *program) Start(service.Service) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil {
		return errors.New("the agent is already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go p.run(ctx)
	return nil
}

func (p *program) run(ctx context.Context) {
	defer close(p.done)
	if err := p.agent.Start(ctx); err != nil {
		p.fail(err)
		return
	}
	if p.onStarted != nil {
		p.onStarted()
	}
	<-ctx.Done()
}

func (p *program) fail(err error) {
	p.failOnce.Do(func() {
		p.err = err
		close(p.failed)
	})
}

// Failed is closed when the agent stopped on its own (it could not
// start); Err says why.
func (p *program) Failed() <-chan struct{} { return p.failed }

// Err is why the agent stopped on its own, or nil.
func (p *program) Err() error {
	select {
	case <-p.failed:
		return p.err
	default:
		return nil
	}
}

// Stop closes every link with shutting_down and returns within
// stopTimeout. It returns the reason the agent failed, if it did, so that
// the process exits non-zero.
func (p *program) Stop(service.Service) error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	if p.Err() == nil {
		p.log.Info("stopping: closing every link")
	}
	cancel()
	closed := make(chan error, 1)
	go func() {
		<-done
		closed <- p.agent.Close()
	}()
	timer := time.NewTimer(p.stopTimeout)
	defer timer.Stop()
	select {
	case err := <-closed:
		if err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		p.log.Info("stopped")
		return nil
	case <-timer.C:
		return fmt.Errorf("the agent did not stop within %s", p.stopTimeout)
	}
}
