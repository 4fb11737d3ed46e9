package console

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyard/lanyard/app/cmdline"
	"github.com/lanyard/lanyard/core/human"
)

// lanyard slave mute: a server in maintenance stays linked and managed,
// and nothing of it is announced until the mute ends (master.Mute).

func slaveMuteCmd(e *env) *cobra.Command {
	var group, until string
	var forD time.Duration
	var off bool
	cmd := &cobra.Command{
		Use:               "mute (NAME | --group G) (--for D | --until T | --off)",
		ValidArgsFunction: e.completeSlaveArg,
		Short:             "Mute a slave's alerts for a while (maintenance), or unmute them",
		Long: `Mute a slave's alerts: for a server in maintenance, which stays linked and
managed as usual, while nothing of it is announced (no mail, no desktop
notification, no alert for lanyard check) until the mute ends. What is
still wrong with it then is announced as usual. --for 2h, or --until 18:30
(its next coming) or --until "2026-12-24 08:00"; --off unmutes at once.
--group mutes every slave of a group (a customer's site in maintenance).
Kept across restarts, with or without a running console.`,
		Args: nameOrGroup(&group),
		RunE: func(cmd *cobra.Command, args []string) error {
			end, err := muteEnd(forD, until, off, time.Now())
			if err != nil {
				return err
			}
			return e.eachSlave(cmd.Context(), args, group, opSlaveMute, entryChange{MutedUntil: end}, func(s entryResult) {
				if !s.MutedUntil.After(time.Now()) { // zero, or a mute that ended
					fmt.Fprintf(e.stdout, "%s: alerts no longer muted\n", s.Name)
					return
				}
				fmt.Fprintf(e.stdout, "%s: alerts muted until %s\n", s.Name, s.MutedUntil.Local().Format(human.StampLayout))
			})
		},
	}
	cmd.Flags().StringVar(&group, "group", "", "every slave of this group (case does not matter)")
	cmd.Flags().DurationVar(&forD, "for", 0, "how long, as 90m or 2h")
	cmd.Flags().StringVar(&until, "until", "", "until when: HH:MM (its next coming) or YYYY-MM-DD HH:MM")
	cmd.Flags().BoolVar(&off, "off", false, "unmute")
	return cmd
}

// muteEnd is when a mute asked for with the flags ends, at now; zero for
// --off.
func muteEnd(forD time.Duration, until string, off bool, now time.Time) (time.Time, error) {
	given := 0
	for _, set := range []bool{forD != 0, until != "", off} {
		if set {
			given++
		}
	}
	switch {
	case given != 1:
		return time.Time{}, cmdline.Usagef("give one of --for D, --until T or --off")
	case off:
		return time.Time{}, nil
	case forD < 0:
		return time.Time{}, cmdline.Usagef("--for %s: give a time to come, as 2h", forD)
	case forD > 0:
		return now.Add(forD), nil
	}
	t, err := human.ParseUntil(until, now)
	if err != nil {
		return time.Time{}, cmdline.Usagef("--until: %v", err)
	}
	return t, nil
}
