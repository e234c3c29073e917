/** {@link io.snapshotkit.s3.S3ObjectStore}: the directory agent's repository in an S3-compatible bucket. */
package io.snapshotkit.s3;
