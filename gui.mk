# gui.mk: the console's desktop side, included by the Makefile (GNU make;
# uses its GO, VERSION, BUILD_DEPS and the deps and build targets).
#
#   make package           fyne package for this OS into dist/ (Linux: tarball)
#   make package-windows   the same for windows/amd64 with mingw (GUI .exe)
#   make demo              three agents on loopback and the console on them
#   make screenshots       the console's windows under Xvfb, into docs/screenshots/

# Debian packages: the Windows cross-compiler (about 537 MB) and what
# make screenshots drives the window with.
WINDOWS_DEPS    := gcc-mingw-w64-x86-64
SCREENSHOT_DEPS := xvfb xdotool imagemagick

.PHONY: package package-windows demo screenshots

package: deps ## Package the console for this OS with fyne package (dist/; Linux: tarball with .desktop and icon)
	@GO="$(GO)" VERSION="$(VERSION)" scripts/package

package-windows: ## Cross-build the console for Windows: a GUI .exe with its icon in dist/ (mingw; ~5 min cold)
	@scripts/deps $(WINDOWS_DEPS)
	@GO="$(GO)" VERSION="$(VERSION)" scripts/package windows

demo: build ## Start three agents on loopback and open the console on them (DEMO_HEADLESS=1: lanyard serve)
	@scripts/demo

screenshots: build ## Capture the console's windows under Xvfb into docs/screenshots/
	@scripts/deps $(SCREENSHOT_DEPS)
	@scripts/screenshots
