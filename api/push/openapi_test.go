package push_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/heraldrt/herald/api/push"
)

// TestOpenAPIMatchesTheRouter compares the served OpenAPI document with
// the router's route table both ways: every documented operation exists,
// with the scope it documents, and every route is documented.
func TestOpenAPIMatchesTheRouter(t *testing.T) {
	n := startNode(t, nil)
	r := n.request(t, http.MethodGet, "/v1/openapi.json", "", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/openapi.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			OperationID string            `json:"operationId"`
			Scope       string            `json:"x-herald-scope"`
			Security    []json.RawMessage `json:"security"`
			Responses   map[string]any    `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]string{} // "METHOD pattern" -> scope
	ops := map[string]bool{}
	for path, methods := range doc.Paths {
		for m, op := range methods {
			documented[strings.ToUpper(m)+" "+path] = op.Scope
			if op.OperationID == "" || ops[op.OperationID] {
				t.Errorf("%s %s: missing or repeated operationId %q", m, path, op.OperationID)
			}
			ops[op.OperationID] = true
			if (op.Scope == "") != (op.Security != nil && len(op.Security) == 0) {
				t.Errorf("%s %s: scope %q but security %v: a public operation, and only it, has security []", m, path, op.Scope, op.Security)
			}
			if _, ok := op.Responses["200"]; !ok {
				t.Errorf("%s %s: no 200 response", m, path)
			}
		}
	}
	served := map[string]string{}
	for _, rt := range n.api.Routes() {
		served[rt.Method+" "+rt.Pattern] = string(rt.Scope)
	}
	for op, scope := range served {
		got, ok := documented[op]
		switch {
		case !ok:
			t.Errorf("route %s is not in the OpenAPI document", op)
		case got != scope:
			t.Errorf("route %s needs scope %q, the document says %q", op, scope, got)
		}
	}
	for op := range documented {
		if _, ok := served[op]; !ok {
			t.Errorf("the OpenAPI document has %s, which the router does not serve", op)
		}
	}
	if !slices.Equal(r.body, push.OpenAPI()) {
		t.Error("the served document differs from push.OpenAPI()")
	}
}

// TestOpenAPIReferencesResolve checks every $ref of the document.
func TestOpenAPIReferencesResolve(t *testing.T) {
	var doc any
	if err := json.Unmarshal(push.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if !resolves(doc, ref) {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
}

func resolves(doc any, ref string) bool {
	if !strings.HasPrefix(ref, "#/") {
		return false
	}
	cur := doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}
