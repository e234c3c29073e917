package io.snapshotkit.grpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.protobuf.Timestamp;
import io.snapshotkit.Change;
import io.snapshotkit.ErrorCode;
import io.snapshotkit.Excludes;
import io.snapshotkit.FamilyRestore;
import io.snapshotkit.Manifest;
import io.snapshotkit.ProgressEvent;
import io.snapshotkit.Resource;
import io.snapshotkit.RestoreFailure;
import io.snapshotkit.RestoreMode;
import io.snapshotkit.SnapshotException;
import io.snapshotkit.SnapshotId;
import io.snapshotkit.WorkloadRef;
import io.snapshotkit.grpc.internal.v1.CaptureResponse;
import io.snapshotkit.grpc.internal.v1.CheckResponse;
import io.snapshotkit.grpc.internal.v1.GcResponse;
import io.snapshotkit.grpc.internal.v1.Volume;
import io.snapshotkit.grpc.internal.v1.VolumesResponse;
import io.snapshotkit.grpc.internal.v1.ChangedResource;
import io.snapshotkit.grpc.internal.v1.DeleteResponse;
import io.snapshotkit.grpc.internal.v1.Family;
import io.snapshotkit.grpc.internal.v1.Progress;
import io.snapshotkit.grpc.internal.v1.RestoreResponse;
import io.snapshotkit.grpc.internal.v1.SizeOfResponse;
import io.snapshotkit.grpc.internal.v1.VerifyResponse;
import io.snapshotkit.grpc.internal.v1.VerifyStatus;
import io.snapshotkit.spi.VerifyOutcome;
import io.snapshotkit.grpc.internal.v1.Workload;
import io.snapshotkit.spi.CaptureRequest;
import io.snapshotkit.spi.CaptureResult;
import io.snapshotkit.spi.ForkRequest;
import io.snapshotkit.spi.DeleteOutcome;
import io.snapshotkit.spi.RestoreOutcome;
import io.snapshotkit.spi.RestoreRequest;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Converts between the SPI's value types and the protocol's messages, both ways. Reading a
 * message that breaks the SPI's rules (a missing workload, a malformed id, duplicate keys, JSON
 * that does not parse) fails with {@link Malformed}, never with a bare runtime exception, so the
 * server answers {@code INVALID_ARGUMENT} and the client reports a malformed answer.
 *
 * <p><b>Thread-safety:</b> stateless.
 */
final class Wire {
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  private Wire() {}

  /** A message that cannot be read as the SPI value it stands for. */
  static final class Malformed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Malformed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Reads a message with {@code reader}, turning any rule it breaks into {@link Malformed}
   * naming {@code what}.
   */
  static <T> T read(String what, Supplier<T> reader) {
    try {
      return reader.get();
    } catch (SnapshotException e) {
      throw new Malformed(what + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException | NullPointerException | DateTimeException e) {
      throw new Malformed(what + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }
  }

  private static void require(boolean present, String field) {
    if (!present) {
      throw new IllegalArgumentException("the field '" + field + "' is missing");
    }
  }

  // ------------------------------------------------------------------ identifiers

  static Workload workload(WorkloadRef w) {
    return Workload.newBuilder().setTenant(w.tenant().value()).setId(w.id()).build();
  }

  static WorkloadRef workload(boolean present, Workload w) {
    require(present, "workload");
    return WorkloadRef.of(w.getTenant(), w.getId());
  }

  static SnapshotId snapshotId(String text) {
    return new SnapshotId(text);
  }

  // ------------------------------------------------------------------ manifests

  static io.snapshotkit.grpc.internal.v1.Resource resource(Resource r) {
    return io.snapshotkit.grpc.internal.v1.Resource.newBuilder()
        .setId(r.id()).setKey(r.key()).setDocumentJson(json(r)).build();
  }

  private static String json(Resource r) {
    try {
      return JSON.writeValueAsString(r.document());
    } catch (JsonProcessingException e) {
      throw new SnapshotException(ErrorCode.INTERNAL, "could not write resource " + r.key() + " as JSON", e);
    }
  }

  static Resource resource(io.snapshotkit.grpc.internal.v1.Resource r) {
    JsonNode document;
    try {
      document = JSON.readTree(r.getDocumentJson());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the document of resource '" + r.getKey() + "' is not JSON", e);
    }
    if (document == null || document.isMissingNode()) {
      throw new IllegalArgumentException("the document of resource '" + r.getKey() + "' is empty");
    }
    return new Resource(r.getId(), r.getKey(), document);
  }

  static io.snapshotkit.grpc.internal.v1.Manifest manifest(Manifest m) {
    io.snapshotkit.grpc.internal.v1.Manifest.Builder b = io.snapshotkit.grpc.internal.v1.Manifest.newBuilder()
        .setSchemaVersion(m.schemaVersion())
        .setCapturedAt(Timestamp.newBuilder()
            .setSeconds(m.capturedAt().getEpochSecond()).setNanos(m.capturedAt().getNano()))
        .setWorkload(workload(m.workload()))
        .setPartial(m.partial());
    m.families().forEach((name, resources) -> {
      Family.Builder f = b.addFamiliesBuilder().setName(name);
      resources.forEach(r -> f.addResources(resource(r)));
    });
    return b.build();
  }

  static Manifest manifest(boolean present, io.snapshotkit.grpc.internal.v1.Manifest m) {
    require(present, "manifest");
    require(m.hasCapturedAt(), "manifest.captured_at");
    Map<String, List<Resource>> families = new TreeMap<>();
    for (Family f : m.getFamiliesList()) {
      List<Resource> resources = new ArrayList<>(f.getResourcesCount());
      f.getResourcesList().forEach(r -> resources.add(resource(r)));
      if (families.put(f.getName(), resources) != null) {
        throw new IllegalArgumentException("the manifest has family '" + f.getName() + "' twice");
      }
    }
    return new Manifest(m.getSchemaVersion(),
        Instant.ofEpochSecond(m.getCapturedAt().getSeconds(), m.getCapturedAt().getNanos()),
        workload(m.hasWorkload(), m.getWorkload()), m.getPartial(), families);
  }

  // ------------------------------------------------------------------ capture, describe

  static io.snapshotkit.grpc.internal.v1.CaptureRequest captureRequest(CaptureRequest r) {
    io.snapshotkit.grpc.internal.v1.CaptureRequest.Builder b = io.snapshotkit.grpc.internal.v1.CaptureRequest.newBuilder()
        .setWorkload(workload(r.workload()))
        .setSnapshotId(r.snapshotId().value())
        .setFullRescan(r.fullRescan())
        .addAllExcludes(r.excludes().patterns());
    r.parent().ifPresent(p -> b.setParent(p.value()));
    r.runningReference().ifPresent(b::setRunningReference);
    return b.build();
  }

  static CaptureRequest captureRequest(io.snapshotkit.grpc.internal.v1.CaptureRequest r) {
    return new CaptureRequest(workload(r.hasWorkload(), r.getWorkload()), snapshotId(r.getSnapshotId()),
        r.hasParent() ? Optional.of(snapshotId(r.getParent())) : Optional.empty(),
        r.hasRunningReference() ? Optional.of(r.getRunningReference()) : Optional.empty(),
        r.getFullRescan(), Excludes.of(r.getExcludesList()));
  }

  // ------------------------------------------------------------------ progress

  static Progress progress(ProgressEvent e) {
    return Progress.newBuilder().setPhase(e.phase()).setFilesDone(e.filesDone())
        .setFilesTotal(e.filesTotal().orElse(ProgressEvent.UNKNOWN)).setBytesDone(e.bytesDone())
        .setBytesTotal(e.bytesTotal().orElse(ProgressEvent.UNKNOWN)).setPath(e.path()).build();
  }

  /** A progress message as an event of {@code operation}; never the last one (the result says that). */
  static ProgressEvent progressEvent(ProgressEvent.Operation operation, Progress p) {
    return ProgressEvent.of(operation, p.getPhase(), p.getFilesDone(), p.getFilesTotal(), p.getBytesDone(),
        p.getBytesTotal(), p.getPath(), false);
  }

  static CaptureResponse captureResponse(CaptureResult r) {
    return CaptureResponse.newBuilder().setManifest(manifest(r.manifest())).setSizeBytes(r.sizeBytes()).build();
  }

  static CaptureResult captureResult(CaptureResponse r) {
    return new CaptureResult(manifest(r.hasManifest(), r.getManifest()), r.getSizeBytes());
  }

  // ------------------------------------------------------------------ fork

  static io.snapshotkit.grpc.internal.v1.ForkRequest forkRequest(ForkRequest r) {
    io.snapshotkit.grpc.internal.v1.ForkRequest.Builder b = io.snapshotkit.grpc.internal.v1.ForkRequest.newBuilder()
        .setSource(workload(r.source()))
        .setSourceSnapshot(r.sourceSnapshot().value())
        .setChild(workload(r.child()))
        .setChildSnapshot(r.childSnapshot().value());
    r.target().ifPresent(b::setTarget);
    return b.build();
  }

  static ForkRequest forkRequest(io.snapshotkit.grpc.internal.v1.ForkRequest r) {
    return new ForkRequest(workload(r.hasSource(), r.getSource()), snapshotId(r.getSourceSnapshot()),
        workload(r.hasChild(), r.getChild()), snapshotId(r.getChildSnapshot()),
        r.hasTarget() ? Optional.of(r.getTarget()) : Optional.empty());
  }

  // ------------------------------------------------------------------ restore

  static io.snapshotkit.grpc.internal.v1.RestoreRequest restoreRequest(RestoreRequest r) {
    io.snapshotkit.grpc.internal.v1.RestoreRequest.Builder b = io.snapshotkit.grpc.internal.v1.RestoreRequest.newBuilder()
        .setWorkload(workload(r.workload()))
        .setSnapshotId(r.snapshotId().value())
        .setManifest(manifest(r.manifest()))
        .setMode(r.mode() == RestoreMode.ADDITIVE
            ? io.snapshotkit.grpc.internal.v1.RestoreMode.RESTORE_MODE_ADDITIVE
            : io.snapshotkit.grpc.internal.v1.RestoreMode.RESTORE_MODE_REPLACE)
        .addAllPaths(r.paths());
    r.target().ifPresent(b::setTarget);
    return b.build();
  }

  static RestoreRequest restoreRequest(io.snapshotkit.grpc.internal.v1.RestoreRequest r) {
    RestoreMode mode = switch (r.getMode()) {
      case RESTORE_MODE_ADDITIVE -> RestoreMode.ADDITIVE;
      case RESTORE_MODE_REPLACE -> RestoreMode.REPLACE;
      default -> throw new IllegalArgumentException("the restore mode is missing or unknown (" + r.getModeValue() + ")");
    };
    return new RestoreRequest(workload(r.hasWorkload(), r.getWorkload()), snapshotId(r.getSnapshotId()),
        manifest(r.hasManifest(), r.getManifest()), mode,
        r.hasTarget() ? Optional.of(r.getTarget()) : Optional.empty(), r.getPathsList());
  }

  static RestoreResponse restoreResponse(RestoreOutcome o) {
    RestoreResponse.Builder b = RestoreResponse.newBuilder()
        .addAllUnsupportedFamilies(o.unsupportedFamilies())
        .addAllWarnings(o.warnings());
    o.families().forEach((name, f) -> {
      io.snapshotkit.grpc.internal.v1.FamilyRestore.Builder fb = b.addFamiliesBuilder()
          .setName(name).setCreated(f.created()).setSkipped(f.skipped());
      f.failures().forEach(x -> fb.addFailuresBuilder()
          .setResource(x.resource()).setReason(x.reason()).setCode(errorCode(x.code())));
    });
    return b.build();
  }

  static RestoreOutcome restoreOutcome(RestoreResponse r) {
    Map<String, FamilyRestore> families = new LinkedHashMap<>();
    for (io.snapshotkit.grpc.internal.v1.FamilyRestore f : r.getFamiliesList()) {
      List<RestoreFailure> failures = f.getFailuresList().stream()
          .map(x -> new RestoreFailure(x.getResource(), x.getReason(), errorCode(x.getCode()))).toList();
      if (families.put(f.getName(), FamilyRestore.of(f.getCreated(), f.getSkipped(), failures)) != null) {
        throw new IllegalArgumentException("the restore outcome has family '" + f.getName() + "' twice");
      }
    }
    return new RestoreOutcome(families, r.getUnsupportedFamiliesList(), r.getWarningsList());
  }

  /** The protocol's name for an error code. */
  static io.snapshotkit.grpc.internal.v1.ErrorCode errorCode(ErrorCode code) {
    return io.snapshotkit.grpc.internal.v1.ErrorCode.valueOf("ERROR_CODE_" + code.name());
  }

  /** The error code a protocol value names; INTERNAL for one this release does not know. */
  static ErrorCode errorCode(io.snapshotkit.grpc.internal.v1.ErrorCode code) {
    String name = code.name();
    for (ErrorCode c : ErrorCode.values()) {
      if (name.equals("ERROR_CODE_" + c.name())) {
        return c;
      }
    }
    return ErrorCode.INTERNAL;
  }

  // ------------------------------------------------------------------ delete, size

  static DeleteResponse deleteResponse(DeleteOutcome o) {
    return DeleteResponse.newBuilder().setOutcome(o == DeleteOutcome.DELETED
        ? io.snapshotkit.grpc.internal.v1.DeleteOutcome.DELETE_OUTCOME_DELETED
        : io.snapshotkit.grpc.internal.v1.DeleteOutcome.DELETE_OUTCOME_NOT_FOUND).build();
  }

  static DeleteOutcome deleteOutcome(DeleteResponse r) {
    return switch (r.getOutcome()) {
      case DELETE_OUTCOME_DELETED -> DeleteOutcome.DELETED;
      case DELETE_OUTCOME_NOT_FOUND -> DeleteOutcome.NOT_FOUND;
      default -> throw new IllegalArgumentException("the delete outcome is missing or unknown (" + r.getOutcomeValue() + ")");
    };
  }

  static SizeOfResponse sizeOfResponse(OptionalLong size) {
    SizeOfResponse.Builder b = SizeOfResponse.newBuilder();
    size.ifPresent(b::setSizeBytes);
    return b.build();
  }

  static OptionalLong size(SizeOfResponse r) {
    return r.hasSizeBytes() ? OptionalLong.of(r.getSizeBytes()) : OptionalLong.empty();
  }

  // ------------------------------------------------------------------ diff

  static io.snapshotkit.grpc.internal.v1.Change change(String family, Change c) {
    io.snapshotkit.grpc.internal.v1.Change.Builder b = io.snapshotkit.grpc.internal.v1.Change.newBuilder().setFamily(family);
    if (c instanceof Change.Added a) {
      b.setAdded(resource(a.after()));
    } else if (c instanceof Change.Removed r) {
      b.setRemoved(resource(r.before()));
    } else {
      Change.Changed x = (Change.Changed) c;
      b.setChanged(ChangedResource.newBuilder().setBefore(resource(x.before())).setAfter(resource(x.after())));
    }
    return b.build();
  }

  static Change change(io.snapshotkit.grpc.internal.v1.Change c) {
    return switch (c.getKindCase()) {
      case ADDED -> new Change.Added(resource(c.getAdded()));
      case REMOVED -> new Change.Removed(resource(c.getRemoved()));
      case CHANGED -> {
        require(c.getChanged().hasBefore() && c.getChanged().hasAfter(), "change.changed.before/after");
        yield new Change.Changed(resource(c.getChanged().getBefore()), resource(c.getChanged().getAfter()));
      }
      default -> throw new IllegalArgumentException("a change of family '" + c.getFamily() + "' says neither added, removed nor changed");
    };
  }

  // ------------------------------------------------------------------ host admin

  static List<Volume> volumes(Map<String, String> volumes) {
    List<Volume> out = new ArrayList<>(volumes.size());
    volumes.forEach((name, directory) -> out.add(Volume.newBuilder().setName(name).setDirectory(directory).build()));
    return out;
  }

  static Map<String, String> volumes(List<Volume> volumes) {
    Map<String, String> out = new TreeMap<>();
    for (Volume v : volumes) {
      if (out.put(v.getName(), v.getDirectory()) != null) {
        throw new IllegalArgumentException("volume '" + v.getName() + "' is given twice");
      }
    }
    return out;
  }

  static VolumesResponse volumesResponse(Optional<Map<String, String>> volumes) {
    return VolumesResponse.newBuilder().setTracked(volumes.isPresent())
        .addAllVolumes(volumes(volumes.orElse(Map.of()))).build();
  }

  static Optional<Map<String, String>> volumes(VolumesResponse r) {
    return r.getTracked() ? Optional.of(volumes(r.getVolumesList())) : Optional.empty();
  }

  static GcResponse gcResponse(HostAdmin.GcReport r) {
    return GcResponse.newBuilder().setSnapshots(r.snapshots()).setContentsRemoved(r.contentsRemoved())
        .setBytesReclaimed(r.bytesReclaimed()).build();
  }

  static HostAdmin.GcReport gcReport(GcResponse r) {
    return new HostAdmin.GcReport(r.getSnapshots(), r.getContentsRemoved(), r.getBytesReclaimed());
  }

  static CheckResponse checkResponse(HostAdmin.CheckReport r) {
    return CheckResponse.newBuilder().setContentsChecked(r.contentsChecked()).addAllCorrupt(r.corrupt())
        .addAllMissing(r.missing()).addAllDamagedSnapshots(r.damagedSnapshots()).build();
  }

  static HostAdmin.CheckReport checkReport(CheckResponse r) {
    return new HostAdmin.CheckReport(r.getContentsChecked(), r.getCorruptList(), r.getMissingList(),
        r.getDamagedSnapshotsList());
  }

  // ------------------------------------------------------------------ verify

  static VerifyResponse verifyResponse(VerifyOutcome o) {
    VerifyStatus status = switch (o.status()) {
      case INTACT -> VerifyStatus.VERIFY_STATUS_INTACT;
      case DAMAGED -> VerifyStatus.VERIFY_STATUS_DAMAGED;
      case MISSING -> VerifyStatus.VERIFY_STATUS_MISSING;
      case PRESENT -> VerifyStatus.VERIFY_STATUS_PRESENT;
    };
    return VerifyResponse.newBuilder().setStatus(status).setContentsChecked(o.contentsChecked())
        .addAllProblems(o.problems()).build();
  }

  static VerifyOutcome verifyOutcome(VerifyResponse r) {
    VerifyOutcome.Status status = switch (r.getStatus()) {
      case VERIFY_STATUS_INTACT -> VerifyOutcome.Status.INTACT;
      case VERIFY_STATUS_DAMAGED -> VerifyOutcome.Status.DAMAGED;
      case VERIFY_STATUS_MISSING -> VerifyOutcome.Status.MISSING;
      case VERIFY_STATUS_PRESENT -> VerifyOutcome.Status.PRESENT;
      default -> throw new IllegalArgumentException("the verify status is missing or unknown (" + r.getStatusValue() + ")");
    };
    return new VerifyOutcome(status, r.getContentsChecked(), r.getProblemsList());
  }
}
