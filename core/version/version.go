package version

import "strings"

// Version is the release version, set at link time by the Makefile; a plain
// `go build` leaves the development default.
var Version = "0.1.0-dev"

// String returns the version to show to a user, e.g. "0.1.0-dev" or
// "v1.2.3-4-gabcdef0-dirty". A build stamped with an empty value still shows
// something readable.
func String() string {
	if Version == "" {
		return "unknown"
	}
	return Version
}

// AgentName is the agent's name in the software text its hello carries,
// "lanyard-agent 1.4.0".
const AgentName = "lanyard-agent"

// OfAgent is the version in an agent's software text ("lanyard-agent
// 1.4.0" → "1.4.0"); text of other software as it is.
func OfAgent(software string) string {
	if v, ok := strings.CutPrefix(software, AgentName+" "); ok {
		return v
	}
	return software
}
