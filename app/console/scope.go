package console

import (
	"fmt"
	"strings"

	"github.com/lanyard/lanyard/core/master"
)

// fleetScope is what check and report look at: one group's servers, one
// server, or (both "") the whole fleet; names match ignoring case.
type fleetScope struct{ group, slave string }

// String names the scope for a title: "Acme", "FS01", "FS01 of Acme";
// "" for the fleet.
func (s fleetScope) String() string {
	switch {
	case s.slave != "" && s.group != "":
		return s.slave + " of " + s.group
	case s.slave != "":
		return s.slave
	}
	return s.group
}

// in: a server of this name and group is in the scope.
func (s fleetScope) in(name, group string) bool {
	return (s.group == "" || strings.EqualFold(group, s.group)) && (s.slave == "" || strings.EqualFold(name, s.slave))
}

// empty says why a scope with no server in it is a mistake in the
// command, nil for the whole fleet (which may have none yet).
func (s fleetScope) empty() error {
	switch {
	case s.slave != "" && s.group != "":
		return fmt.Errorf("no server named %q is in the group %q: check both (lanyard slave list)", s.slave, s.group)
	case s.slave != "":
		return fmt.Errorf("no server is named %q: check the name (lanyard slave list)", s.slave)
	case s.group != "":
		return master.NoServerIn(s.group)
	}
	return nil
}
