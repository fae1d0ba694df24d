// A fixture for the layer check's test.
#pragma once
