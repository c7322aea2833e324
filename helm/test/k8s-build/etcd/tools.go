//go:build tools

// The etcd server's main package, built through this module because etcd's own go.mod has
// replace directives (go install ...@version refuses those).
package tools

import _ "go.etcd.io/etcd/server/v3"
