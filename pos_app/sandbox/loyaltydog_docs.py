"""The vendor's operation descriptions, verbatim, so the emulator's OpenAPI reads like theirs."""
# ruff: noqa: E501 - verbatim vendor text keeps its own line lengths

DESCRIPTIONS: dict[str, str] = {
    "get_token_info": (
        "Retrieve user information associated with the current access token.\n"
        "\n"
        "### Parameters:\n"
        "- `current_user` (User): The user instance obtained from the current access token.\n"
        "\n"
        "### Returns:\n"
        "- `UserRead`: The serialized user data."
    ),
    "get_loyalty_programs": (
        "### List Loyalty Programs\n"
        "\n"
        "Retrieve a list of all loyalty programs associated with the current user.\n"
        "\n"
        "- **Returns**: A list of loyalty programs in a simplified format."
    ),
    "searchGiftCards": (
        "### Search Gift Cards\n"
        "\n"
        "Search for gift cards by card number, last four digits, customer name, or customer email."
    ),
    "getGiftCardDetails": (
        "### Get Gift Card Details\n"
        "\n"
        "Retrieves comprehensive details for a specific gift card including current balance,\n"
        "status, and optionally the complete transaction history.\n"
        "\n"
        "**Card Information**:\n"
        "- Current balance and initial value\n"
        "- Card status (pending, active, expired, voided, depleted)\n"
        "- Card number (16 digits) and last four digits\n"
        "- Customer information (email, name, ID)\n"
        "- Merchant identifier\n"
        "- Expiration and activation dates\n"
        "- Physical/digital card indicator\n"
        "- Design template and custom message\n"
        "\n"
        "**Business Rules**:\n"
        "- Card number is returned in full (security code is never exposed)\n"
        "- Status reflects current card state\n"
        "- Timestamps in UTC\n"
        "- Optional transaction history sorted newest first\n"
        "\n"
        "**Path Parameters**:\n"
        "- `programId`: MongoDB ObjectId of the loyalty program\n"
        "- `cardId`: MongoDB ObjectId of the gift card\n"
        "\n"
        "**Query Parameters**:\n"
        "- `include_transactions`: Include full transaction history (default: false)\n"
        "  - Use `?include_transactions=true` to include all transactions\n"
        "  - Transactions sorted by createdAt descending (newest first)\n"
        "\n"
        "**Returns**:\n"
        "- Gift card details object\n"
        "- Optional: transactions array if include_transactions=true\n"
        "\n"
        "**Response Example (without transactions)**:\n"
        "```json\n"
        "{\n"
        '    "id": "507f191e810c19729de860ea",\n'
        '    "cardNumber": "4000123456789012",\n'
        '    "lastFourDigits": "9012",\n'
        '    "balance": 100.00,\n'
        '    "initialValue": 100.00,\n'
        '    "status": "active",\n'
        '    "createdAt": "2025-01-01T00:00:00Z",\n'
        '    "updatedAt": "2025-01-15T10:30:00Z",\n'
        '    "activatedAt": "2025-01-02T14:20:00Z",\n'
        '    "expiresAt": "2026-01-01T00:00:00Z",\n'
        '    "customerId": "customer_456",\n'
        '    "customerEmail": "customer@example.com",\n'
        '    "customerName": "John Doe",\n'
        '    "merchantId": "merchant_123",\n'
        '    "isPhysical": false,\n'
        '    "designTemplate": "birthday",\n'
        '    "customMessage": "Happy Birthday!"\n'
        "}\n"
        "```\n"
        "\n"
        "**Response Example (with transactions)**:\n"
        "```json\n"
        "{\n"
        '    "id": "507f191e810c19729de860ea",\n'
        "    ...card details...,\n"
        '    "transactions": [\n'
        "        {\n"
        '            "id": "507f1f77bcf86cd799439011",\n'
        '            "transactionType": "REDEMPTION",\n'
        '            "amount": -25.50,\n'
        '            "balanceBefore": 100.00,\n'
        '            "balanceAfter": 74.50,\n'
        "            ...transaction details...\n"
        "        }\n"
        "    ]\n"
        "}\n"
        "```\n"
        "\n"
        "**Status Codes**:\n"
        "- 200: Gift card details retrieved successfully\n"
        "- 404: Gift card not found or doesn't belong to program\n"
        "- 401: Unauthorized"
    ),
    "getGiftCardTransactions": (
        "### Get Gift Card Transaction History\n"
        "\n"
        "Retrieves paginated transaction history for a gift card with complete audit trail.\n"
        "Transactions include all card activities: activation, reloads, redemptions, and consolidations.\n"
        "\n"
        "**Transaction Types**:\n"
        "- ACTIVATION: Initial card activation and balance loading\n"
        "- RELOAD: Balance addition transactions\n"
        "- REDEMPTION: Balance deduction for purchases (negative amount)\n"
        "- CONSOLIDATION: Card consolidation (negative for voided cards, positive for new card)\n"
        "- VOID: Card voiding transactions\n"
        "- PURCHASE: Gift card purchase transactions\n"
        "- REFUND: Refund credit transactions\n"
        "\n"
        "**Business Rules**:\n"
        "- Returns transactions in reverse chronological order (newest first)\n"
        "- Includes before/after balance for each transaction\n"
        "- Contains optional POS reference data (transactionId, cashierId, terminalId)\n"
        "- Supports pagination for large transaction histories\n"
        "- All transactions immutable for audit compliance\n"
        "\n"
        "**Path Parameters**:\n"
        "- `programId`: MongoDB ObjectId of the loyalty program\n"
        "- `cardId`: MongoDB ObjectId of the gift card\n"
        "\n"
        "**Query Parameters**:\n"
        "- `limit`: Maximum number of transactions to return (1-100, default: 50)\n"
        "- `offset`: Number of transactions to skip for pagination (default: 0)\n"
        "\n"
        "**Returns**:\n"
        "- List of transaction objects ordered by createdAt (newest first)\n"
        "- Each transaction includes full details: type, amount, balances, timestamps, references\n"
        "\n"
        "**Transaction Response Fields**:\n"
        "```json\n"
        "{\n"
        '    "id": "507f1f77bcf86cd799439011",\n'
        '    "transactionType": "REDEMPTION",\n'
        '    "amount": -25.50,\n'
        '    "balanceBefore": 100.00,\n'
        '    "balanceAfter": 74.50,\n'
        '    "referenceId": "ORDER_12345",\n'
        '    "description": "Purchase at Store #42",\n'
        '    "createdAt": "2025-01-15T10:30:00Z",\n'
        '    "processedAt": "2025-01-15T10:30:00Z",\n'
        '    "merchantId": "merchant_123",\n'
        '    "posTransactionId": "POS_TXN_789",\n'
        '    "cashierId": "cashier_001",\n'
        '    "terminalId": "terminal_A"\n'
        "}\n"
        "```\n"
        "\n"
        "**Status Codes**:\n"
        "- 200: Transactions retrieved successfully (empty list if no transactions)\n"
        "- 404: Gift card not found or doesn't belong to program\n"
        "- 401: Unauthorized\n"
        "\n"
        "**Pagination Example**:\n"
        "- First page: `/giftcards/programs/{programId}/cards/{id}/transactions?limit=20&offset=0`\n"
        "- Second page: `/giftcards/programs/{programId}/cards/{id}/transactions?limit=20&offset=20`\n"
        "- Third page: `/giftcards/programs/{programId}/cards/{id}/transactions?limit=20&offset=40`"
    ),
    "checkGiftCardBalance": (
        "Authenticate the provided card number and security code, and return the card's balance and usability information.\n"
        "\n"
        "Performs a constant-time security-code comparison and abuse/lockout checks before returning card details.\n"
        "\n"
        "Returns:\n"
        "    BalanceCheckResponse: Contains `cardNumber`, `lastFourDigits`, `balance`, `status`, `expiresAt`, and `isActive`.\n"
        "    On authentication failure or lockout the endpoint responds with an HTTP error (e.g., 404 for not found/invalid code, 429 for rate limiting or card lockout)."
    ),
    "redeemGiftCard": (
        "Redeem a specified amount from an active, non-expired gift card and record a REDEMPTION transaction.\n"
        "\n"
        "Performs an atomic balance deduction (prevents double-spend and race conditions), updates the card status to DEPLETED when balance reaches zero, and inserts a GiftCardTransaction recording the redemption.\n"
        "\n"
        "Returns:\n"
        "    RedeemResponse: Contains `transactionId`, `giftCardId`, `amountRedeemed`, `remainingBalance`, `success`, and `message`.\n"
        "\n"
        "Idempotency Scope:\n"
        "    Keys are scoped to `programId + redeem + cardId`.\n"
        "    The same key may be reused for different cards or different gift card actions."
    ),
    "reloadGiftCard": (
        "### Reload Gift Card\n"
        "\n"
        "Adds funds to an active gift card. Creates a RELOAD transaction for audit trail.\n"
        "\n"
        "**Business Rules**:\n"
        "- Only ACTIVE cards can be reloaded\n"
        "- Card must not be expired\n"
        "- Reload amount: $0.01 - $5,000 per transaction\n"
        "- Maximum card balance: $10,000\n"
        "- New balance = current balance + reload amount\n"
        "- Transaction includes before/after balance tracking\n"
        "\n"
        "**Path Parameters**:\n"
        "- `programId`: MongoDB ObjectId of the loyalty program\n"
        "- `cardId`: MongoDB ObjectId of the gift card\n"
        "\n"
        "**Request Body**:\n"
        "- `amount`: Amount to add ($0.01 - $5,000)\n"
        "- `referenceId`: External reference ID for tracking (optional)\n"
        '- `description`: Transaction description (optional, defaults to "Gift card reload")\n'
        "\n"
        "**Returns**:\n"
        "- Updated gift card details with new balance\n"
        "- Balance reflects immediately after reload\n"
        "\n"
        "**Status Codes**:\n"
        "- 200: Gift card reloaded successfully\n"
        "- 400: Cannot reload (inactive, expired, or would exceed max balance of $10,000)\n"
        "- 404: Gift card not found or doesn't belong to program\n"
        "- 401: Unauthorized\n"
        "\n"
        "**Error Response (Max Balance Exceeded)**:\n"
        "```json\n"
        "{\n"
        '    "detail": "Reload would exceed maximum card balance",\n'
        '    "currentBalance": 9500.00,\n'
        '    "reloadAmount": 1000.00,\n'
        '    "maxBalance": 10000.00,\n'
        '    "availableReloadAmount": 500.00\n'
        "}\n"
        "```\n"
        "\n"
        "**Idempotency Scope**:\n"
        "- Idempotency keys are scoped to `programId + reload + cardId`\n"
        "- The same key may be reused for different cards or different gift card actions"
    ),
}
