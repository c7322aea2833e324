package junction

import (
	"reflect"
	"testing"
)

// Raw contents written for a request read back as the same tensor (no server needed).
func TestRawContentsRoundTrip(t *testing.T) {
	inputs := []*Tensor{
		Int64s("a", -1, 1<<40).Reshape(1, 2),
		FP32s("b", 0.5, -2),
		Strings("c", "", "héllo"),
		{Name: "d", Datatype: "BOOL", Shape: []int64{2}, Bools: []bool{true, false}},
	}
	headers, raw, err := encodeInputs(inputs)
	if err != nil {
		t.Fatal(err)
	}
	if got := raw[2]; !reflect.DeepEqual(got, []byte{0, 0, 0, 0, 6, 0, 0, 0, 'h', 0xc3, 0xa9, 'l', 'l', 'o'}) {
		t.Fatalf("BYTES raw contents %v", got)
	}
	outputs := make([]*outputTensor, len(headers))
	for i, h := range headers {
		outputs[i] = &outputTensor{Name: h.Name, Datatype: h.Datatype, Shape: h.Shape}
	}
	decoded, err := decodeOutputs(outputs, raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if !reflect.DeepEqual(decoded[in.Name], in) {
			t.Fatalf("%s: decoded %+v (expected: %+v)", in.Name, decoded[in.Name], in)
		}
	}
}

func TestTruncatedBytesContentsAreAnError(t *testing.T) {
	_, err := decodeOutputs([]*outputTensor{{Name: "x", Datatype: "BYTES", Shape: []int64{1}}}, [][]byte{{9, 0, 0, 0, 'a'}})
	if err == nil {
		t.Fatal("no error for a BYTES element longer than the contents")
	}
}
