package service

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// On systemd, start and restart clear a failed state first: after the
// start limit was hit, systemd refuses a person's start until
// reset-failed, and the command would fail although the cause is fixed.
func TestSystemdStartsAndRestartsAfterClearingAFailedState(t *testing.T) {
	notFailed := fakeAnswer{out: "Failed to reset failed state of unit lanyard-agent.service: Unit lanyard-agent.service not loaded.\n", err: errors.New("exit status 1")}
	for _, tc := range []struct {
		name    string
		action  string
		answers map[string]fakeAnswer
		want    []string
		wantErr string
	}{
		{name: "start clears the failed state, then starts", action: "start",
			answers: map[string]fakeAnswer{"systemctl reset-failed lanyard-agent.service": {}, "systemctl start lanyard-agent.service": {}},
			want:    []string{"systemctl reset-failed lanyard-agent.service", "systemctl start lanyard-agent.service"}},
		{name: "restart clears the failed state, then restarts", action: "restart",
			answers: map[string]fakeAnswer{"systemctl reset-failed lanyard-agent.service": {}, "systemctl restart lanyard-agent.service": {}},
			want:    []string{"systemctl reset-failed lanyard-agent.service", "systemctl restart lanyard-agent.service"}},
		{name: "a unit that had not failed starts all the same", action: "start",
			answers: map[string]fakeAnswer{"systemctl reset-failed lanyard-agent.service": notFailed, "systemctl start lanyard-agent.service": {}},
			want:    []string{"systemctl reset-failed lanyard-agent.service", "systemctl start lanyard-agent.service"}},
		{name: "stop only stops", action: "stop",
			answers: map[string]fakeAnswer{"systemctl stop lanyard-agent.service": {}},
			want:    []string{"systemctl stop lanyard-agent.service"}},
		{name: "a start that fails says what systemctl said", action: "start",
			answers: map[string]fakeAnswer{"systemctl reset-failed lanyard-agent.service": {},
				"systemctl start lanyard-agent.service": {out: "Job for lanyard-agent.service failed.\n", err: errors.New("exit status 1")}},
			want:    []string{"systemctl reset-failed lanyard-agent.service", "systemctl start lanyard-agent.service"},
			wantErr: "systemctl start lanyard-agent.service failed: exit status 1: Job for lanyard-agent.service failed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeRunner{answers: tc.answers}
			err := systemctl(context.Background(), f.run, tc.action, "lanyard-agent")
			if !reflect.DeepEqual(f.calls, tc.want) {
				t.Errorf("ran %q, want %q", f.calls, tc.want)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
