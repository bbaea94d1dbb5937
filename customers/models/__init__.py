"""The customer master (R1–R5): institutions, departments, HCPs, affiliations, KOL links,
the supply network, alignment, lifecycle, change requests, duplicates, merges, imports."""

from .alignment import Alignment, RealignmentBatch, RealignmentItem
from .choices import CustomerKind, Gender, Grade, InstitutionKind, Ownership, Specialty, Stage, Status, Tier, Title
from .hcps import Affiliation, Hcp, KolLink
from .institutions import Department, Institution
from .jobs import ImportJob, SavedFilter
from .network import SupplyRelation
from .quality import ChangeRequest, DuplicateCandidate, Merge, StageChange

__all__ = [
    "Affiliation", "Alignment", "ChangeRequest", "CustomerKind", "Department", "DuplicateCandidate", "Gender",
    "Grade", "Hcp", "ImportJob", "Institution", "InstitutionKind", "KolLink", "Merge", "Ownership",
    "RealignmentBatch", "RealignmentItem", "SavedFilter", "Specialty", "Stage", "StageChange", "Status",
    "SupplyRelation", "Tier", "Title",
]
