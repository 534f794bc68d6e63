"""PDFium functions retyped to take and return handles as plain ints, for the calls made once per
page object (thousands on a busy page): no pointer object is built per call, and a handle can key
a dict (fonts are looked up once per font, not once per text object)."""

from __future__ import annotations

import ctypes

import pypdfium2.raw as _pdfium


def _retyped(func, restype, *argtypes):
    """The same PDFium function with plain types (a handle as an int: hashable, no pointer
    object to build) for the calls made once per page object."""
    address = ctypes.cast(func, ctypes.c_void_p).value
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


def _plain(name: str):
    """PDFium function `name` taking and returning handles as ints."""
    func = getattr(_pdfium, name)

    def plain(t):
        return ctypes.c_void_p if t is not None and t.__name__.startswith("LP_struct_fpdf_") else t

    return _retyped(func, plain(func.restype), *[plain(t) for t in func.argtypes])


_page_object = _plain("FPDFPage_GetObject")
_object_type = _plain("FPDFPageObj_GetType")
_obj_font = _plain("FPDFTextObj_GetFont")
_font_embedded = _plain("FPDFFont_GetIsEmbedded")
_obj_bounds = _plain("FPDFPageObj_GetBounds")
_obj_matrix = _plain("FPDFPageObj_GetMatrix")
_obj_stroke_color = _plain("FPDFPageObj_GetStrokeColor")
_obj_fill_color = _plain("FPDFPageObj_GetFillColor")
_form_count = _plain("FPDFFormObj_CountObjects")
_form_object = _plain("FPDFFormObj_GetObject")
_path_draw_mode = _plain("FPDFPath_GetDrawMode")
_path_count = _plain("FPDFPath_CountSegments")
_path_segment = _plain("FPDFPath_GetPathSegment")
_segment_point = _plain("FPDFPathSegment_GetPoint")
_segment_type = _plain("FPDFPathSegment_GetType")
_segment_close = _plain("FPDFPathSegment_GetClose")
