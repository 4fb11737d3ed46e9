// Package version holds the release version of Lanyard, shared by the console
// and the agent. The build stamps it with
//
//	-ldflags "-X github.com/lanyard/lanyard/core/version.Version=v1.2.3"
//
// (the Makefile does this from `git describe`).
package version
