// Package watches is the watch registry: one-shot data, exist and child
// watches, persistent and persistent-recursive watches (ZooKeeper 3.8
// semantics: one mode per watcher and path, the latest registration wins),
// the trigger rules, removal for checkWatches/removeWatches and on
// connection close, and the views the four-letter words print.
//
// Watches belong to a connection (a Watcher), not to a session.
package watches
