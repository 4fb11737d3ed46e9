package console

import (
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
	var slave string
	var since time.Duration
	var asJSON, errorsOnly bool
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Print the connection log, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			db, err := e.openDB(nil)
			if err != nil {
				return err
			}
			defer db.Close()
			f := store.EventFilter{Slave: slave, ErrorsOnly: errorsOnly}
			if since > 0 {
				f.Since = time.Now().Add(-since)
			}
			events, err := db.Events(f)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(e.stdout)
			for _, ev := range events {
				if asJSON {
					if err := enc.Encode(logRecord{Time: ev.Time, Slave: ev.Slave, Direction: ev.Direction, Remote: ev.Remote,
						Event: ev.Kind, Severity: ev.Severity, Reason: ev.Reason, Refusal: ev.Refusal, Count: ev.Count}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(e.stdout, "%s  %-7s  %-12s  %-9s  %-21s  %s\n", ev.Time.Local().Format("2006-01-02 15:04:05"),
					ev.Severity, cmdline.OrDash(ev.Slave), cmdline.OrDash(ev.Direction), cmdline.OrDash(ev.Remote), ev.Kind+": "+ev.Reason)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&slave, "slave", "", "only this slave's events")
	cmd.Flags().DurationVar(&since, "since", 0, "only events newer than this, e.g. 1h or 30m")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	cmd.Flags().BoolVar(&errorsOnly, "errors", false, "only warnings and errors")
	return cmd
}
