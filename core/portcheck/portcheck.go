package portcheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"syscall"

	gnet "github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"
)

// Ports above this one are the ones Lanyard suggests: below it many are
// assigned to well-known services or blocked by providers.
const SuggestAbove = 5000

// maxSuggestTries bounds the search for a free port.
const maxSuggestTries = 200

// Holder is a process that listens on the port.
type Holder struct {
	PID     int32  `json:"pid"` // 0 when the operating system did not say (another user's process, without administrator rights)
	Name    string `json:"name,omitempty"`
	Cmdline string `json:"cmdline,omitempty"`
}

// Result is what Check found.
type Result struct {
	Port int `json:"port"`
	// Free means a listener could bind the port on every address now.
	Free bool `json:"free"`
	// Holders are the processes listening on the port, when it is taken.
	Holders []Holder `json:"holders,omitempty"`
	// Problem explains a port that is not free yet has no holder, such as
	// a port below 1024 without administrator rights.
	Problem string `json:"problem,omitempty"`
	// Suggested is a free port above SuggestAbove, when Port is not free;
	// 0 otherwise (or when none was found).
	Suggested int `json:"suggested,omitempty"`
}

// ErrPortRange is returned for a port outside 1–65535.
var ErrPortRange = errors.New("a TCP port is a number from 1 to 65535")

// Check reports whether port is free on this machine and, if not, who
// holds it and which port to use instead.
func Check(port int) (Result, error) {
	return CheckContext(context.Background(), port)
}

// CheckContext is Check with a context for the process scan.
func CheckContext(ctx context.Context, port int) (Result, error) {
	if port < 1 || port > 65535 {
		return Result{Port: port}, fmt.Errorf("port %d: %w", port, ErrPortRange)
	}
	r := Result{Port: port}
	bindErr := tryBind(port)
	holders, err := listeners(ctx, port)
	if err != nil && bindErr == nil {
		// The port binds and the scan failed: the bind is the answer.
		holders = nil
	}
	r.Holders = holders
	r.Free = bindErr == nil && len(holders) == 0
	if !r.Free {
		switch {
		case errors.Is(bindErr, os.ErrPermission):
			r.Problem = fmt.Sprintf("only administrators (root) may listen on port %d", port)
		case bindErr != nil && !isInUse(bindErr) && len(holders) == 0:
			r.Problem = fmt.Sprintf("cannot listen on port %d: %v", port, unwrapOp(bindErr))
		}
		r.Suggested = suggest(ctx, port)
	}
	return r, nil
}

// tryBind listens on every address (both IPv4 and IPv6 where the system
// has them) and closes at once.
func tryBind(port int) error {
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return err
	}
	return ln.Close()
}

func isInUse(err error) bool {
	if errors.Is(err, syscall.EADDRINUSE) {
		return true
	}
	// Windows reports WSAEADDRINUSE (10048), which syscall does not map.
	return strings.Contains(strings.ToLower(err.Error()), "address already in use") ||
		strings.Contains(err.Error(), "Only one usage of each socket address")
}

func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// listeners are the processes with a TCP socket listening on port.
func listeners(ctx context.Context, port int) ([]Holder, error) {
	conns, err := gnet.ConnectionsWithoutUidsWithContext(ctx, "tcp")
	if err != nil {
		return nil, err
	}
	seen := map[int32]bool{}
	var hs []Holder
	for _, c := range conns {
		if c.Laddr.Port != uint32(port) || !strings.EqualFold(c.Status, "LISTEN") {
			continue
		}
		if seen[c.Pid] {
			continue
		}
		seen[c.Pid] = true
		h := Holder{PID: c.Pid}
		if c.Pid > 0 {
			if p, err := process.NewProcessWithContext(ctx, c.Pid); err == nil {
				h.Name, _ = p.NameWithContext(ctx)
				h.Cmdline, _ = p.CmdlineWithContext(ctx)
			}
		}
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].PID < hs[j].PID })
	return hs, nil
}

// suggest finds a port above SuggestAbove that binds: the ports after the
// one asked for first, then from SuggestAbove+1 up.
func suggest(ctx context.Context, port int) int {
	next := max(port+1, SuggestAbove+1)
	for range maxSuggestTries {
		if ctx.Err() != nil {
			return 0
		}
		if next > 65535 {
			next = SuggestAbove + 1
		}
		if next != port && tryBind(next) == nil {
			return next
		}
		next++
	}
	return 0
}

// String says what Check found in plain words.
func (r Result) String() string {
	var b strings.Builder
	if r.Free {
		fmt.Fprintf(&b, "Port %d is free: nothing on this machine listens on it.", r.Port)
		if r.Port <= SuggestAbove {
			fmt.Fprintf(&b, " Ports above %d are less likely to be taken later or blocked by a provider.", SuggestAbove)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "Port %d is not free", r.Port)
	switch {
	case len(r.Holders) > 0:
		b.WriteString(": it is held by ")
		for i, h := range r.Holders {
			if i > 0 {
				b.WriteString(", and by ")
			}
			b.WriteString(h.describe())
		}
		b.WriteString(".")
	case r.Problem != "":
		fmt.Fprintf(&b, ": %s.", r.Problem)
	default:
		b.WriteString(": something listens on it, but the system did not say which process (run this as root or Administrator to see it).")
	}
	if r.Suggested > 0 {
		fmt.Fprintf(&b, " Port %d is free and can be used instead.", r.Suggested)
	}
	return b.String()
}

func (h Holder) describe() string {
	if h.PID <= 0 {
		return "a process the system did not name (run this as root or Administrator to see it)"
	}
	name := h.Name
	if name == "" {
		name = "process"
	}
	s := fmt.Sprintf("%s (pid %d)", name, h.PID)
	if h.Cmdline != "" && h.Cmdline != h.Name {
		s += fmt.Sprintf(", command line %q", h.Cmdline)
	}
	return s
}
