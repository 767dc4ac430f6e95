"""Writes the .npy fixtures of tests/unit/data/npy_reader_test.cpp with NumPy itself (numpy 1.24
made the committed ones), so that the reader is tested on files NumPy really writes.
Run from this folder: python3 make_npy_fixtures.py"""
import numpy as np
from numpy.lib import format as fmt

a = np.array([[1.5, -2.0], [3.25, 4.0], [0.0, 1e-300]])
np.save('f8_3x2.npy', a)
np.save('f4_1d.npy', np.array([1.5, -2.25, 3.0], dtype=np.float32))
with open('i8_2x3_v2.npy', 'wb') as f:
    fmt.write_array(f, np.array([[1, -2, 3], [2**40, 0, -7]], dtype='<i8'), version=(2, 0))
with open('u1_2x2_v3.npy', 'wb') as f:
    fmt.write_array(f, np.array([[0, 255], [7, 128]], dtype=np.uint8), version=(3, 0))
np.save('i4_2x2.npy', np.array([[-1, 2], [2147483647, -2147483648]], dtype='<i4'))
np.save('fortran_2x3.npy', np.asfortranarray(np.arange(6.).reshape(2, 3)))
np.save('big_endian.npy', np.arange(4.).astype('>f8'))
np.save('shape_2x2x2.npy', np.zeros((2, 2, 2)))
np.save('complex.npy', np.zeros(3, dtype=np.complex128))
np.save('structured.npy', np.zeros(2, dtype=[('x', '<f8'), ('y', '<i4')]))
