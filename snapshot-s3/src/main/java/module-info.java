/**
 * The directory agent's repository on S3-compatible object storage: {@link
 * io.snapshotkit.s3.S3ObjectStore}, an {@code io.snapshotkit.fs.store.ObjectStore} in a bucket.
 *
 * <p>The AWS SDK jars have no module descriptors; they are read as the automatic modules their
 * {@code Automatic-Module-Name}s name. {@code software.amazon.awssdk.auth} is required
 * transitively because {@code S3ObjectStore.Builder.credentials} takes its {@code
 * AwsCredentialsProvider}; the lints on requiring automatic modules (and on the module name's
 * terminal digit) are suppressed for that reason.
 */
@SuppressWarnings({"module", "requires-automatic", "requires-transitive-automatic"})
module io.snapshotkit.s3 {
  requires transitive io.snapshotkit.fs;
  requires transitive software.amazon.awssdk.auth;
  requires software.amazon.awssdk.services.s3;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.awscore;
  requires software.amazon.awssdk.regions;
  requires software.amazon.awssdk.http;
  requires software.amazon.awssdk.http.urlconnection;
  requires software.amazon.awssdk.retries;
  requires software.amazon.awssdk.retries.api;
  requires org.slf4j;

  exports io.snapshotkit.s3;
}
