// Package zkimporttest holds what the import tests share: a tree written
// through Apache ZooKeeper with every kind of znode and a history of
// changes, and a reader that walks a server's tree through a real client
// (go-zookeeper) and compares two views znode by znode.
package zkimporttest

import "github.com/zkensemble/zkensemble/pkg/datatree"

// SuperUser is the super user's name and password the tests give both
// servers (SuperDigest) and authenticate with, so every znode is readable.
const SuperUser, SuperPassword = "super", "import-test"

// Super is the digest auth data of the super user.
const Super = SuperUser + ":" + SuperPassword

// SuperDigest is the superDigest setting for both servers.
var SuperDigest = datatree.DigestID(SuperUser, SuperPassword)
