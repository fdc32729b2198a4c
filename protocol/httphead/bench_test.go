package httphead

import "testing"

func BenchmarkParseRequest(b *testing.B) {
	for _, c := range []struct{ name, head string }{
		{"polling", pollingHead},
		{"upgrade", upgradeHead},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.head)))
			buf := []byte(c.head)
			var r Request
			for b.Loop() {
				if _, err := r.Parse(buf, 8192); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkQueryValue(b *testing.B) {
	b.ReportAllocs()
	query := []byte("EIO=4&transport=polling&t=PHYHmHR&sid=lv_VI97HAXpY6yYWAAAC")
	for b.Loop() {
		if v, ok := QueryValue(query, "sid"); !ok || len(v) != 20 {
			b.Fatal("sid not found")
		}
	}
}
