package junction

import (
	"encoding/binary"
	"fmt"
	"math"

	"junction/clients/go/gen/inference"
)

type outputTensor = inference.ModelInferResponse_InferOutputTensor

// Tensor is a named Open Inference Protocol tensor: its datatype ("INT64", "INT32", "FP32",
// "FP64", "BOOL" or "BYTES"), its shape, and its values, row-major, in the one slice that
// matches the datatype.
type Tensor struct {
	Name     string
	Datatype string
	Shape    []int64
	Int64s   []int64
	Int32s   []int32
	FP32s    []float32
	FP64s    []float64
	Bools    []bool
	Bytes    [][]byte
}

// Int64s makes an INT64 tensor of one dimension.
func Int64s(name string, values ...int64) *Tensor {
	return &Tensor{Name: name, Datatype: "INT64", Shape: []int64{int64(len(values))}, Int64s: values}
}

// FP32s makes an FP32 tensor of one dimension.
func FP32s(name string, values ...float32) *Tensor {
	return &Tensor{Name: name, Datatype: "FP32", Shape: []int64{int64(len(values))}, FP32s: values}
}

// Strings makes a BYTES tensor of one dimension from UTF-8 strings.
func Strings(name string, values ...string) *Tensor {
	b := make([][]byte, len(values))
	for i, v := range values {
		b[i] = []byte(v)
	}
	return &Tensor{Name: name, Datatype: "BYTES", Shape: []int64{int64(len(values))}, Bytes: b}
}

// Reshape sets the shape (which must hold as many elements as the tensor has) and returns t.
func (t *Tensor) Reshape(shape ...int64) *Tensor {
	t.Shape = shape
	return t
}

// len is the number of elements the tensor holds.
func (t *Tensor) len() int {
	switch t.Datatype {
	case "INT64":
		return len(t.Int64s)
	case "INT32":
		return len(t.Int32s)
	case "FP32":
		return len(t.FP32s)
	case "FP64":
		return len(t.FP64s)
	case "BOOL":
		return len(t.Bools)
	default:
		return len(t.Bytes)
	}
}

// encodeInputs gives the request's input headers and raw contents (little-endian; BYTES
// elements each a 4-byte length and the bytes), in the same order.
func encodeInputs(inputs []*Tensor) ([]*inference.ModelInferRequest_InferInputTensor, [][]byte, error) {
	headers := make([]*inference.ModelInferRequest_InferInputTensor, 0, len(inputs))
	raw := make([][]byte, 0, len(inputs))
	for _, t := range inputs {
		var b []byte
		switch t.Datatype {
		case "INT64":
			for _, v := range t.Int64s {
				b = binary.LittleEndian.AppendUint64(b, uint64(v))
			}
		case "INT32":
			for _, v := range t.Int32s {
				b = binary.LittleEndian.AppendUint32(b, uint32(v))
			}
		case "FP32":
			for _, v := range t.FP32s {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
		case "FP64":
			for _, v := range t.FP64s {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
		case "BOOL":
			for _, v := range t.Bools {
				if v {
					b = append(b, 1)
				} else {
					b = append(b, 0)
				}
			}
		case "BYTES":
			for _, v := range t.Bytes {
				b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
				b = append(b, v...)
			}
		default:
			return nil, nil, fmt.Errorf("junction: input %s: datatype %q (expected: INT64, INT32, FP32, FP64, BOOL or BYTES)", t.Name, t.Datatype)
		}
		headers = append(headers, &inference.ModelInferRequest_InferInputTensor{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape})
		raw = append(raw, b)
	}
	return headers, raw, nil
}

// decodeOutputs reads each output from its raw contents when there are any, else from its typed contents.
func decodeOutputs(outputs []*outputTensor, raw [][]byte) (map[string]*Tensor, error) {
	result := make(map[string]*Tensor, len(outputs))
	for i, o := range outputs {
		t := &Tensor{Name: o.Name, Datatype: o.Datatype, Shape: o.Shape}
		var err error
		if len(raw) > 0 {
			if i >= len(raw) {
				return nil, fmt.Errorf("junction: output %s: no raw contents (%d for %d outputs)", o.Name, len(raw), len(outputs))
			}
			err = t.fromRaw(raw[i])
		} else {
			err = t.fromContents(o.Contents)
		}
		if err != nil {
			return nil, err
		}
		result[o.Name] = t
	}
	return result, nil
}

func (t *Tensor) fromRaw(b []byte) error {
	width := map[string]int{"INT64": 8, "INT32": 4, "FP32": 4, "FP64": 8, "BOOL": 1}[t.Datatype]
	if width > 0 && len(b)%width != 0 {
		return fmt.Errorf("junction: output %s: %d bytes of raw %s contents (expected: a multiple of %d)", t.Name, len(b), t.Datatype, width)
	}
	switch t.Datatype {
	case "INT64":
		for i := 0; i < len(b); i += 8 {
			t.Int64s = append(t.Int64s, int64(binary.LittleEndian.Uint64(b[i:])))
		}
	case "INT32":
		for i := 0; i < len(b); i += 4 {
			t.Int32s = append(t.Int32s, int32(binary.LittleEndian.Uint32(b[i:])))
		}
	case "FP32":
		for i := 0; i < len(b); i += 4 {
			t.FP32s = append(t.FP32s, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
		}
	case "FP64":
		for i := 0; i < len(b); i += 8 {
			t.FP64s = append(t.FP64s, math.Float64frombits(binary.LittleEndian.Uint64(b[i:])))
		}
	case "BOOL":
		for _, v := range b {
			t.Bools = append(t.Bools, v != 0)
		}
	case "BYTES":
		for i := 0; i < len(b); {
			if i+4 > len(b) {
				return fmt.Errorf("junction: output %s: a BYTES element's length is cut off at byte %d", t.Name, i)
			}
			n := int(binary.LittleEndian.Uint32(b[i:]))
			if i+4+n > len(b) {
				return fmt.Errorf("junction: output %s: a BYTES element of %d bytes at byte %d overruns the contents", t.Name, n, i)
			}
			t.Bytes = append(t.Bytes, b[i+4:i+4+n])
			i += 4 + n
		}
	default:
		return fmt.Errorf("junction: output %s: datatype %q is not read by this client", t.Name, t.Datatype)
	}
	return nil
}

func (t *Tensor) fromContents(c *inference.InferTensorContents) error {
	if c == nil {
		c = &inference.InferTensorContents{}
	}
	switch t.Datatype {
	case "INT64":
		t.Int64s = c.Int64Contents
	case "INT32":
		t.Int32s = c.IntContents
	case "FP32":
		t.FP32s = c.Fp32Contents
	case "FP64":
		t.FP64s = c.Fp64Contents
	case "BOOL":
		t.Bools = c.BoolContents
	case "BYTES":
		t.Bytes = c.BytesContents
	default:
		return fmt.Errorf("junction: output %s: datatype %q is not read by this client", t.Name, t.Datatype)
	}
	return nil
}
