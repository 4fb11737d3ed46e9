package cmdline

import (
	"slices"
	"testing"

	"github.com/spf13/cobra"
)

func TestOfferIsTheNamesTypedSoFarIgnoringCase(t *testing.T) {
	names := []string{"FS01", "fs02", "WEB", "F"}
	about := func(i int) string { return []string{"Acme", "", "Globex", "x"}[i] }
	if got, want := Offer("fs", names, about), []cobra.Completion{"FS01\tAcme", "fs02"}; !slices.Equal(got, want) {
		t.Errorf("fs: %q, want %q", got, want)
	}
	if got := Offer("", names, nil); !slices.Equal(got, names) {
		t.Errorf("nothing typed: %q", got)
	}
	if got := Offer("FS010", names, about); len(got) != 0 {
		t.Errorf("longer than every name: %q", got)
	}
}
