//go:build race

package httphead

const raceEnabled = true
