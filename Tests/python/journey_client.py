"""The customer's side of the journey through stock grpcio stubs, for tests that need an order
waiting for a prescriber: answers every question as `medexpress demo` does, so every medicine of
the treatment is offered."""

from __future__ import annotations

import uuid

TIMEOUT = 30.0


def answer_for(protos, question):
    """Answers that get every medicine offered (as `medexpress demo` answers)."""
    Answer, Kind = protos.consultation_pb2.Answer, protos.catalog_pb2.Question.Kind
    if question.kind == Kind.Value("YES_NO"):
        return Answer(yes_no=question.id == "gp_consent")
    if question.kind == Kind.Value("SINGLE_CHOICE"):
        return Answer(choice=question.choices[-1].key)
    if question.kind == Kind.Value("MULTIPLE_CHOICE"):
        keys = ["none"] if any(choice.key == "none" for choice in question.choices) else []
        return Answer(choices=protos.consultation_pb2.ChoiceKeys(keys=keys))
    if question.kind == Kind.Value("NUMBER"):
        return Answer(number=question.minimum)
    return Answer(text="Example Surgery, 1 High Street, Leeds LS1 1AA" if question.id == "gp_practice" else "none")


def place_order(protos, channel, tag: str, treatment: str = "erectile-dysfunction",
                delivery: str = "royal-mail-1st-class", card: str = "pm_card_visa"):
    """A new customer registers, consults and checks out the first pack offered over `channel`;
    returns the order."""
    common = protos.common_pb2
    email = f"{tag}-{uuid.uuid4().hex[:8]}@example.org"
    auth = protos.auth_pb2_grpc.AuthServiceStub(channel)
    auth.RegisterCustomer(protos.auth_pb2.RegisterCustomerRequest(
        request_id=f"register-{email}", email=email, password="customer password 1", given_name="Test",
        family_name=tag.title(), date_of_birth=common.CalendarDate(year=1980, month=3, day=3), phone="+447700900555",
        address=common.PostalAddress(lines=["2 Test Road"], town="Leeds", postcode="LS2 2BB")), timeout=TIMEOUT)
    session = auth.Login(protos.auth_pb2.LoginRequest(email=email, password="customer password 1"), timeout=TIMEOUT)
    bearer = (("authorization", f"Bearer {session.access_token}"),)
    questionnaire = protos.catalog_pb2_grpc.CatalogServiceStub(channel).GetTreatment(
        protos.catalog_pb2.GetTreatmentRequest(treatment_id=treatment), timeout=TIMEOUT).questionnaire
    consultations = protos.consultation_pb2_grpc.ConsultationServiceStub(channel)
    consultation = consultations.StartConsultation(protos.consultation_pb2.StartConsultationRequest(
        request_id=f"start-{email}", treatment_id=treatment), metadata=bearer, timeout=TIMEOUT)
    for question in questionnaire.questions:
        consultations.RecordAnswer(protos.consultation_pb2.RecordAnswerRequest(
            request_id=f"answer-{email}-{question.id}", consultation_id=consultation.id, question_id=question.id,
            answer=answer_for(protos, question)), metadata=bearer, timeout=TIMEOUT)
    submitted = consultations.SubmitConsultation(protos.consultation_pb2.SubmitConsultationRequest(
        request_id=f"submit-{email}", consultation_id=consultation.id), metadata=bearer, timeout=TIMEOUT)
    product = submitted.assessment.offered[0].product_ids[0]
    return protos.order_pb2_grpc.OrderServiceStub(channel).Checkout(protos.order_pb2.CheckoutRequest(
        request_id=f"checkout-{email}", consultation_id=consultation.id, product_id=product, delivery_option_id=delivery,
        payment_method_token=card), metadata=bearer, timeout=TIMEOUT)
