package socketio

import (
	"strings"
	"testing"
	"time"
)

// TestHostileInputsAreLinear feeds large adversarial packets through the
// decoding paths. Work must stay linear: each 1 MiB input is handled in
// milliseconds, so a generous bound catches any quadratic behaviour.
func TestHostileInputsAreLinear(t *testing.T) {
	const n = 1 << 20
	atts := [][]byte{make([]byte, 1<<20), {1}}
	inputs := map[string]string{
		"deep arrays":       "2[\"a\"," + strings.Repeat("[", n),
		"deep objects":      "2[\"a\"," + strings.Repeat(`{"a":`, n/5),
		"escaped string":    "2[\"" + strings.Repeat(`\u00e9\n`, n/8) + "\"]",
		"unterminated":      "2[\"" + strings.Repeat("a", n),
		"many elements":     "2[\"a\"" + strings.Repeat(",1", n/2) + "]",
		"escaped keys":      "52-[\"a\",{" + strings.Repeat(`"\u005f\u0070laceholder":false,`, n/32) + `"x":1}]`,
		"long namespace":    "2/" + strings.Repeat("n", n) + `,["a"]`,
		"long ack id":       "2" + strings.Repeat("0", n) + `1["a"]`,
		"long attach count": "5" + strings.Repeat("0", n) + `1-["a"]`,
		"repeated holes":    "52-[\"a\"" + strings.Repeat(`,{"_placeholder":true,"num":0}`, n/32) + "]",
		"nested holes":      "52-[\"a\"," + strings.Repeat(`{"_placeholder":true,"num":1,"x":`, 200) + "1" + strings.Repeat("}", 200) + "]",
	}
	for name, in := range inputs {
		start := time.Now()
		p, err := Decode([]byte(in), 0)
		if err == nil {
			_, args, _ := p.Event()
			args.Each(func(int, []byte) bool { return true })
		}
		_, _ = ReplacePlaceholders(nil, []byte(in[strings.IndexByte(in, '['):]), atts)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %v", name, d)
		}
	}
}
