package console

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lanyard/lanyard/app/cmdline"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/core/store"
)

// logRecord is one line of `lanyard log --json`.
type logRecord struct {
	Time      time.Time      `json:"time"`
	Slave     string         `json:"slave"`
	Direction string         `json:"direction"`
	Remote    string         `json:"remote"`
	Event     string         `json:"event"`
	Severity  store.Severity `json:"severity"`
	Reason    string         `json:"reason"`
	// Refusal marks peers turned away before they authenticated; Count,
	// how many a counted record stands for.
	Refusal bool `json:"refusal,omitempty"`
	Count   int  `json:"count,omitempty"`
}

func logCmd(e *env) *cobra.Command {
	var slave, since string
	var asJSON, errorsOnly bool
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Print the connection log, oldest first",
		Long: `Print the connection log, oldest first: every connection event with its
time, slave, direction, remote address and reason. Read through the running
console (the window or lanyard serve), or from the database when none runs.`,
		Args: cmdline.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := store.EventFilter{Slave: slave, ErrorsOnly: errorsOnly}
			var err error
			if f.Since, err = sinceOf(since); err != nil {
				return err
			}
			enc := json.NewEncoder(e.stdout)
			show := func(r logRecord) error {
				if asJSON {
					return enc.Encode(r)
				}
				_, err := fmt.Fprintf(e.stdout, "%s  %-7s  %-12s  %-9s  %-21s  %s\n", r.Time.Local().Format("2006-01-02 15:04:05"),
					r.Severity, cmdline.OrDash(r.Slave), cmdline.OrDash(r.Direction), cmdline.OrDash(r.Remote), r.Event+": "+r.Reason)
				return err
			}
			return e.connLog(cmd.Context(), f, show)
		},
	}
	cmd.Flags().StringVar(&slave, "slave", "", "only this slave's events")
	cmd.Flags().StringVar(&since, "since", "", "only events since then: a duration (1h, 30m) or a time (2026-03-01T08:00)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	cmd.Flags().BoolVar(&errorsOnly, "errors", false, "only warnings and errors")
	return cmd
}

// connLog hands each record of the connection log that f selects to
// show, oldest first: through the running console, which holds the
// database, or from the database when none runs.
func (e *env) connLog(ctx context.Context, f store.EventFilter, show func(logRecord) error) error {
	showAll := func(recs []logRecord) error {
		for _, r := range recs {
			if err := show(r); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := runningOrStored(ctx, e, ctlRequest{Op: opConnLog, Slave: f.Slave, Since: f.Since, ErrorsOnly: f.ErrorsOnly},
		func(r ctlResponse) error { return showAll(r.Events) },
		func(ctlResponse) struct{} { return struct{}{} },
		func(db *store.DB) (struct{}, error) {
			events, err := db.Events(f)
			if err != nil {
				return struct{}{}, err
			}
			return struct{}{}, showAll(logRecords(events))
		})
	return err
}

// logRecords are events as `lanyard log --json` prints them.
func logRecords(events []store.Event) []logRecord {
	out := make([]logRecord, len(events))
	for i, ev := range events {
		out[i] = logRecord{Time: ev.Time, Slave: ev.Slave, Direction: ev.Direction, Remote: ev.Remote,
			Event: ev.Kind, Severity: ev.Severity, Reason: ev.Reason, Refusal: ev.Refusal, Count: ev.Count}
	}
	return out
}
