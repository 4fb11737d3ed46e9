package link

import (
	"strings"

	"github.com/lanyard/lanyard/core/address"
)

// ParseConsoleAddrs reads one console's addresses as an agent keeps them
// to dial: HOST:PORT, comma-separated, in the order to try them. It
// returns each in its normal form.
func ParseConsoleAddrs(v string) ([]string, error) {
	list, err := address.ParseDialList(v)
	if err != nil {
		return nil, err
	}
	addrs := make([]string, len(list))
	for i, a := range list {
		addrs[i] = a.String()
	}
	return addrs, nil
}

// ParseMasterSpec reads a console an agent is to dial, as `masters add`,
// `masters trust`, `init --master` and the console's Settings tab give
// it: the console's HOST:PORT, or several addresses of that one console
// separated by commas, tried in that order (its name at two forwarded
// ports: office.example:16888,office.example:50000); optionally followed
// by =SHA256:… , the console's certificate fingerprint (Remote Management
// Settings shows it), which the first contact is then checked against
// instead of trusted blindly. One console has one certificate, so the
// fingerprint holds for every address. fp is "" when none was given.
func ParseMasterSpec(v string) (addrs []string, fp string, err error) {
	a, f, hasFP := strings.Cut(v, "=")
	if addrs, err = ParseConsoleAddrs(a); err != nil {
		return nil, "", err
	}
	if hasFP {
		if fp, err = ParseFingerprint(f); err != nil {
			return nil, "", err
		}
	}
	return addrs, fp, nil
}
