# `cnnc run --image`: one image, a directory as a batch, --labels, --verbose's
# notes (image preprocessing, .npy conversion), and every bad image or option a
# clear error (exit 1; usage errors exit 2).
set(LENET ${SRC}/examples/seed/lenet.cnn)
set(IMG ${SRC}/tests/fixtures/images)
function(run_ok regex)
  execute_process(COMMAND ${CNNC} run ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT "${out}${err}" MATCHES "${regex}")
    message(FATAL_ERROR "cnnc run ${ARGN}: expected exit 0 and '${regex}'; got ${rc}:\n${out}${err}")
  endif()
endfunction()
function(run_fails code regex)
  execute_process(COMMAND ${CNNC} run ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL ${code} OR NOT err MATCHES "${regex}")
    message(FATAL_ERROR "cnnc run ${ARGN}: expected exit ${code} and '${regex}'; got ${rc}:\n${out}${err}")
  endif()
endfunction()

# One image into a 1-channel model: converted to gray, resized straight to 32x32.
run_ok("output probs \\[10\\].*top-5:.*gray.png: 40x30 gray, resized to 32x32"
       ${LENET} --random-weights 1 --image ${IMG}/gray.png --verbose)
run_ok("photo.jpg: 96x72 RGB converted to gray" ${LENET} --random-weights 1 --image ${IMG}/photo.jpg --verbose)
# A directory: its images in name order, one batch.
run_ok("output probs \\[6, 10\\].*image 0: top index [0-9]+  [0-9.]+  [^\n]*gray.png.*image 5: top index [0-9]+  [0-9.]+  [^\n]*tall.png"
       ${LENET} --random-weights 1 --image ${IMG})
run_ok("output probs \\[2, 10\\]" ${LENET} --random-weights 1 --image ${IMG}/rgba.png --image ${IMG}/small.jpg --batch 2)
# --labels: the top-5 with rank, class, value and name.
file(WRITE ${OUT}/digits.txt "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n")
run_ok("top-5:\n  1  class [0-9]  [0-9.]+  [a-z]+\n  2  class" ${LENET} --random-weights 1 --image ${IMG}/gray.png --labels ${OUT}/digits.txt)
run_ok("image 1  [^\n]*photo.jpg:\n  1  class [0-9]  [0-9.]+  [a-z]+\n" ${LENET} --random-weights 1
       --image ${IMG}/gray.png --image ${IMG}/photo.jpg --labels ${OUT}/digits.txt)
run_fails(1 "--labels has 1000 names; output 'probs' has 10 classes"
          ${LENET} --random-weights 1 --image ${IMG}/gray.png --labels ${SRC}/data/imagenet_classes.txt)
# ImageNet's classes, torchvision's list, for a 3-channel 224x224 model; the defaults are torchvision's.
run_ok("output fc \\[1000\\].*top-5:\n  1  class [0-9]+  [-0-9.]+  [^\n]+\n.*preprocess: resize 256, crop 224, scale 0.00392157, mean 0.485,0.456,0.406, std 0.229,0.224,0.225 into \\[224, 224, 3\\].*photo.jpg: 96x72 RGB, resized to 341x256, centre 224x224 from \\(58, 16\\)"
       ${SRC}/examples/resnet18.cnn --random-weights 1 --image ${IMG}/photo.jpg --labels ${SRC}/data/imagenet_classes.txt --verbose)
# Preprocessing flags.
run_ok("preprocess: resize 40, crop 32, scale 1, mean 0.5, std 2 into \\[32, 32, 1\\].*resized to 53x40, centre 32x32 from \\(10, 4\\)"
       ${LENET} --random-weights 1 --image ${IMG}/photo.jpg --resize 40 --crop 32 --mean 0.5 --std 2 --scale 1 --verbose)
run_fails(1 "photo.jpg: mean has 2 values; the model's input has 1 channels"
          ${LENET} --random-weights 1 --image ${IMG}/photo.jpg --mean 0.5,0.5)
run_fails(1 "every std must be finite and non-zero" ${LENET} --random-weights 1 --image ${IMG}/photo.jpg --std 0)
# Bad images and arguments.
run_fails(1 "truncated.jpg: cannot decode the JPEG: Premature end of JPEG file"
          ${LENET} --random-weights 1 --image ${IMG}/hostile/truncated.jpg)
run_fails(1 "bomb.png: cannot decode the PNG: the image is 100000x100000 pixels, more than the limit of 100 megapixels"
          ${LENET} --random-weights 1 --image ${IMG}/hostile/bomb.png)
run_fails(1 "cmyk.jpg: cannot decode the JPEG: CMYK JPEGs are not supported"
          ${LENET} --random-weights 1 --image ${IMG}/hostile/cmyk.jpg)
run_fails(1 "--batch 3 but 1 images" ${LENET} --random-weights 1 --image ${IMG}/gray.png --batch 3)
file(MAKE_DIRECTORY ${OUT}/no_images)
run_fails(1 "no_images: the directory has no .jpg, .jpeg or .png files" ${LENET} --random-weights 1 --image ${OUT}/no_images)
run_fails(2 "--image excludes --input|--input excludes --image" ${LENET} --random-weights 1 --image ${IMG}/gray.png
          --input ${SRC}/tests/fixtures/lenet/input.npy)
run_fails(1 "--image feeds a model with one input; 'heads' has 2" ${SRC}/tests/models/heads.cnn --random-weights 1
          --image ${IMG}/gray.png)
# .npy arrays of other dtypes and Fortran order, with --verbose's note.
file(WRITE ${OUT}/small_rgb.cnn "model small_rgb {\n  input x: f32[4, 5, 3]\n  flatten()\n  dense(units=2)\n}\n")
run_ok("output dense \\[2\\].*fortran_uint8_image.npy: uint8 converted to float32; Fortran-order array transposed to C order"
       ${OUT}/small_rgb.cnn --random-weights 1 --input ${SRC}/tests/fixtures/npy_dtypes/fortran_uint8_image.npy --verbose)
# An ONNX model takes the images in its own layout, [N, C, H, W] (here 4 channels: RGBA).
run_ok("output fc \\[2, 5\\].*image 1: top index.*preprocess: resize to the input, scale 0.00392157, mean 0, std 1 into \\[9, 11, 4\\].*photo.jpg: 96x72 RGB converted to RGBA, resized to 11x9"
       ${SRC}/tests/onnx/graph.onnx --image ${IMG}/photo.jpg --image ${IMG}/rgba.png --verbose)
