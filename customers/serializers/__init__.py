"""API representations of the customer master's core records (``/api/v1/customers/``).

No integer ids: records, institutions, departments, territories and product lines are
named by their UUID ``code``. Lists read what ``customers.selectors`` already joined
(``institution``, ``department``), so a page is one query whatever its size; the detail
views load their parts (affiliations, KOL links, alignments, departments, the supply
network, HCP counts) with one query each and pass them in the context.

Writes go through ``customers.services``: the write serializers only shape the request
(every value is checked by the services, whose ``ValidationError`` the view returns as
400 field by field), so the API accepts what the pages and imports accept.

Enumerations are named schema components (``CustomerStage``, ``InstitutionKind`` …), not
per-field enums, so the OpenAPI schema has one enum per choice set and no naming
collision with other apps' ``status`` or ``kind``.
"""

from __future__ import annotations

from .common import (  # noqa: F401 - the package's API
    AffiliationSerializer,
    AlignmentSerializer,
    AlignmentSourceField,
    DepartmentSerializer,
    GenderField,
    GradeField,
    HcpCountsSerializer,
    InstitutionRefSerializer,
    KindField,
    KolKindField,
    KolLinkSerializer,
    NamedRefSerializer,
    OwnershipField,
    RecordStatusField,
    SpecialtyField,
    StageField,
    StatusField,
    SupplyNetworkSerializer,
    SupplySerializer,
    TierField,
    TitleField,
    institution_ref,
    ref,
    supply_item,
)
from .inputs import (  # noqa: F401 - the package's API
    HcpFilterSerializer,
    HcpWriteSerializer,
    InstitutionFilterSerializer,
    InstitutionWriteSerializer,
    SearchQuerySerializer,
    StageChangeSerializer,
    StageResultSerializer,
    TimelineEntrySerializer,
    TimelineQuerySerializer,
)
from .records import (  # noqa: F401 - the package's API
    HcpDetailSerializer,
    HcpListSerializer,
    HcpSearchSerializer,
    InstitutionDetailSerializer,
    InstitutionListSerializer,
    InstitutionSearchSerializer,
    SearchSerializer,
)
