package io.junction.workers.api;

import com.google.protobuf.ByteString;
import io.junction.proto.inference.InferTensorContents;
import io.junction.proto.inference.ModelInferRequest;
import io.junction.proto.inference.ModelInferRequest.InferInputTensor;
import io.junction.tensor.Tensor;
import io.junction.tensor.TensorCodec;
import java.util.List;

/** Builds ModelInferRequests the way clients do: typed contents or raw_input_contents. */
final class Requests {
  private Requests() {}

  static InferInputTensor input(String name, String datatype, long[] shape, InferTensorContents contents) {
    InferInputTensor.Builder b = InferInputTensor.newBuilder().setName(name).setDatatype(datatype).setContents(contents);
    for (long d : shape) {
      b.addShape(d);
    }
    return b.build();
  }

  static InferInputTensor floats(String name, long[] shape, float... values) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (float v : values) {
      c.addFp32Contents(v);
    }
    return input(name, "FP32", shape, c.build());
  }

  static InferInputTensor longs(String name, long[] shape, long... values) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (long v : values) {
      c.addInt64Contents(v);
    }
    return input(name, "INT64", shape, c.build());
  }

  static InferInputTensor ints(String name, long[] shape, int... values) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (int v : values) {
      c.addIntContents(v);
    }
    return input(name, "INT32", shape, c.build());
  }

  static InferInputTensor strings(String name, long[] shape, byte[]... values) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (byte[] v : values) {
      c.addBytesContents(ByteString.copyFrom(v));
    }
    return input(name, "BYTES", shape, c.build());
  }

  static ModelInferRequest typed(String model, InferInputTensor... inputs) {
    return ModelInferRequest.newBuilder().setModelName(model).addAllInputs(List.of(inputs)).build();
  }

  static ModelInferRequest raw(String model, Tensor... inputs) {
    return TensorCodec.addRawInputs(ModelInferRequest.newBuilder().setModelName(model), List.of(inputs)).build();
  }

  static long[] shape(long... dims) {
    return dims;
  }
}
