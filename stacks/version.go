package stacks

// Version is the program's version: the release it is, or the coming release with "-dev" while
// main is heading for it. CHANGELOG.md records the releases (internal/release), and
// tests/release_test.go keeps the two equal. Exported as the stack output programVersion: an
// output, not a tag, so a new release changes no resource.
const Version = "0.2.0-dev"
