package agent

import (
	"context"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lanyard/lanyard/core/human"
	"github.com/lanyard/lanyard/core/link"
	"github.com/lanyard/lanyard/core/wire"
	"github.com/sirupsen/logrus"
)

// Remote management: what a linked console may ask of the agent. Each
// method is one entry in the table below, so what this version answers is
// stated once; a method it does not know is answered
// wire.ErrUnknownMethod with the agent's version, and the console says
// "not supported by this agent version" rather than failing as a whole.

// method is one request a console may send.
type method struct {
	// change: the request changes something or starts work; it is
	// logged at info, a read at debug.
	change bool
	handle func(a *Agent, ctx context.Context, l *link.Link, body []byte) (proto.Message, error)
	// atOnce, when set, answers a read on the link's reader if it can do
	// so without waiting for anything (see link.AtOnce); else the request
	// goes to handle.
	atOnce func(a *Agent, body []byte) (proto.Message, bool)
}

// methods is every request this agent answers.
var methods = map[string]method{
	wire.MethodStatus:      {handle: (*Agent).handleStatus, atOnce: (*Agent).statusAtOnce},
	wire.MethodLogTail:     {handle: (*Agent).handleLogTail},
	wire.MethodSettingsGet: {handle: (*Agent).handleSettingsGet},
	wire.MethodSettingsSet: {change: true, handle: (*Agent).handleSettingsSet},
	wire.MethodPasswordSet: {change: true, handle: (*Agent).handlePasswordSet},

	wire.MethodTaskList:      {handle: (*Agent).handleTaskList},
	wire.MethodTaskGet:       {handle: (*Agent).handleTaskGet},
	wire.MethodTaskCheck:     {handle: (*Agent).handleTaskCheck},
	wire.MethodTaskPut:       {change: true, handle: (*Agent).handleTaskPut},
	wire.MethodTaskDelete:    {change: true, handle: (*Agent).handleTaskDelete},
	wire.MethodTaskRun:       {change: true, handle: (*Agent).handleTaskRun},
	wire.MethodTaskStop:      {change: true, handle: (*Agent).handleTaskStop},
	wire.MethodTaskHistory:   {handle: (*Agent).handleTaskHistory},
	wire.MethodTaskSnapshots: {handle: (*Agent).handleTaskSnapshots},
	wire.MethodTaskBrowse:    {handle: (*Agent).handleTaskBrowse},
	wire.MethodTaskVerify:    {change: true, handle: (*Agent).handleTaskVerify},
	wire.MethodTaskRestore:   {change: true, handle: (*Agent).handleTaskRestore},
	wire.MethodTaskHealth:    {handle: (*Agent).handleTaskHealth},

	wire.MethodTaskDeleteSnapshot:   {change: true, handle: (*Agent).handleTaskDeleteSnapshot},
	wire.MethodTaskEstimateDeletion: {handle: (*Agent).handleTaskEstimateDeletion},
	wire.MethodTaskListFolder:       {handle: (*Agent).handleTaskListFolder},
	wire.MethodTaskMakeFolder:       {change: true, handle: (*Agent).handleTaskMakeFolder},
	wire.MethodTaskFind:             {handle: (*Agent).handleTaskFind},
}

// Methods lists the request methods this agent answers, sorted.
func (a *Agent) Methods() []string {
	var names []string
	for name := range methods {
		if !slices.Contains(a.cfg.WithoutMethods, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// serve answers one request from a console and logs it.
func (a *Agent) serve(ctx context.Context, l *link.Link, name string, body []byte) (proto.Message, error) {
	m, ok := methods[name]
	if !ok || slices.Contains(a.cfg.WithoutMethods, name) {
		a.log.WithField("event", "manage").WithField("remote", remoteOf(l)).
			Infof("a console asked for %s, which this agent version does not know", wire.Quote(name))
		return nil, &link.RequestError{Code: wire.ErrUnknownMethod,
			Message: fmt.Sprintf("this agent (version %s) does not know %s", a.cfg.Version, wire.Quote(name))}
	}
	start := time.Now()
	resp, err := m.handle(a, ctx, l, body)
	a.logServed(ctx, l, name, m, start, err)
	return resp, err
}

// AnswerAtOnce answers, on the link's reader, the reads that need nothing
// that could wait: a status while the host's reading is at hand. The rest
// go to HandleRequest.
func (a *Agent) AnswerAtOnce(l *link.Link, name string, body []byte) (proto.Message, bool, error) {
	m, ok := methods[name]
	if !ok || m.atOnce == nil || slices.Contains(a.cfg.WithoutMethods, name) {
		return nil, false, nil
	}
	resp, answered := m.atOnce(a, body)
	if answered {
		a.logServed(context.Background(), l, name, m, time.Now(), nil)
	}
	return resp, answered, nil
}

// logServed logs a request served: a change at info, a failure as a
// warning, a read answered at debug level only.
func (a *Agent) logServed(ctx context.Context, l *link.Link, name string, m method, start time.Time, err error) {
	if err == nil && !m.change && !logsAt(a.log, logrus.DebugLevel) {
		// At any level above debug, no entry is built for a read
		// answered (a console may ask hundreds of times a second).
		return
	}
	e := a.log.WithFields(logrus.Fields{"event": "manage", "remote": remoteOf(l), "method": name})
	switch {
	case err != nil && ctx.Err() != nil:
		e.Debugf("console request %s ended: the console cancelled it", name)
	case err != nil:
		e.Warnf("console request %s failed: %v", name, err)
	case m.change:
		e.Infof("console request %s: done in %s", name, human.Took(time.Since(start)))
	default:
		e.Debugf("console request %s: answered", name)
	}
}

// logsAt reports whether log writes entries at level; a FieldLogger
// other than logrus's own is taken to.
func logsAt(log logrus.FieldLogger, level logrus.Level) bool {
	switch l := log.(type) {
	case *logrus.Logger:
		return l.IsLevelEnabled(level)
	case *logrus.Entry:
		return l.Logger.IsLevelEnabled(level)
	}
	return true
}

// decode reads a request body; a body that does not parse is the
// console's mistake.
func decode(body []byte, msg proto.Message) error {
	if err := proto.Unmarshal(body, msg); err != nil {
		return badRequest("malformed request: %v", err)
	}
	return nil
}

func badRequest(format string, args ...any) error {
	return &link.RequestError{Code: wire.ErrBadRequest, Message: fmt.Sprintf(format, args...)}
}

func (a *Agent) handleStatus(ctx context.Context, _ *link.Link, _ []byte) (proto.Message, error) {
	return a.status(ctx), nil
}

func (a *Agent) statusAtOnce([]byte) (proto.Message, bool) {
	f, ok := a.probe.atHand(a.cfg.DataDir)
	if !ok {
		return nil, false
	}
	return a.statusOf(f), true
}

// remoteOf is the console's address, for the log.
func remoteOf(l *link.Link) string {
	if l == nil {
		return ""
	}
	return l.Peer().Remote
}
